using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>Checkpointing (JSON key <c>checkpoint</c>). Checkpoints go to <c>{out_dir}/checkpoints/step-NNNNNNNN</c>.</summary>
public sealed record CheckpointConfig
{
    /// <summary>Save every this many optimizer steps (and at the end of every stage, see <see cref="Final"/>); 0: only at stage ends.</summary>
    public int Every { get; init; } = 100;
    /// <summary>How many most recent checkpoints to keep (at least 1); stage-end checkpoints are kept besides.</summary>
    public int Keep { get; init; } = 2;
    /// <summary>
    /// Whether to write a checkpoint at the end of every stage: the Pseudo Giant's last step (before delinking) and the
    /// run's end. Pruning never removes them (<see cref="Checkpointing.TrainState.EndOfStage"/>). A benchmark run that
    /// needs no model can say false.
    /// </summary>
    public bool Final { get; init; } = true;

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (Every < 0) throw new ConfigException("checkpoint.every", $"must be >= 0, got {Every}");
        if (Keep < 1) throw new ConfigException("checkpoint.keep", $"must be >= 1, got {Keep}");
    }
}
