namespace GiantSharp.Data;

/// <summary>How <c>giant prepare</c> divided the tokens between train and val (meta.json's <c>split</c>).</summary>
public enum SplitMethod
{
    /// <summary>Whole documents, seeded shuffle, token-balanced (<see cref="CorpusSplit.ByTokens"/>): for 2 or more documents.</summary>
    Documents,
    /// <summary>One document cut by position, the first part train, the rest val (<see cref="CorpusSplit.PositionCut"/>).</summary>
    Position,
}
