namespace GiantSharp.Experiments;

/// <summary>Step counts of a wall-clock-budgeted comparison (<see cref="BudgetComparison.Steps"/>).</summary>
/// <param name="Pseudo">(a)'s Pseudo Giant steps.</param>
/// <param name="Real">(a)'s Real Giant steps after delinking.</param>
/// <param name="Scratch">(b)'s Real Giant steps from scratch.</param>
public sealed record BudgetSteps(int Pseudo, int Real, int Scratch);
