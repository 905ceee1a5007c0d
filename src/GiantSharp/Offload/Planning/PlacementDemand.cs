namespace GiantSharp.Offload.Planning;

/// <summary>What a stage asks of the memory planner (its <c>offload</c> key: absent, false or true).</summary>
public enum PlacementDemand
{
    /// <summary>Resident when the stage fits the budget, streamed otherwise (no <c>offload</c> key on the stage).</summary>
    Auto,
    /// <summary>Resident whatever the budget says (<c>"offload": false</c>).</summary>
    Resident,
    /// <summary>Streamed even when it would fit (<c>"offload": true</c>).</summary>
    Streamed,
}
