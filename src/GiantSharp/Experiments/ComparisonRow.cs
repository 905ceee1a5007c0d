namespace GiantSharp.Experiments;

/// <summary>One row of a comparison table: a measure and its value for each run (null: not reached or not measured).</summary>
public sealed record ComparisonRow(string Measure, IReadOnlyList<string> Values);
