using GiantSharp.Errors;

namespace GiantSharp.Config;

/// <summary>Validation during training (JSON key <c>eval</c>).</summary>
public sealed record EvalConfig
{
    /// <summary>Evaluate every this many optimizer steps (and at the end of each stage); 0: only at stage ends.</summary>
    public int Every { get; init; } = 50;
    /// <summary>Validation sequences per evaluation (fixed, evenly spread over val.bin).</summary>
    public int Sequences { get; init; } = 64;

    /// <summary>Checks the fields.</summary>
    /// <exception cref="ConfigException">The first bad field, by key.</exception>
    public void Validate()
    {
        if (Every < 0) throw new ConfigException("eval.every", $"must be >= 0, got {Every}");
        if (Sequences <= 0) throw new ConfigException("eval.sequences", $"must be > 0, got {Sequences}");
    }
}
