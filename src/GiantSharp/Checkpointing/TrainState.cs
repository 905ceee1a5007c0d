namespace GiantSharp.Checkpointing;

/// <summary>
/// Where a run stands: the part of a checkpoint besides tensors (torchtitan's "train state").
/// Stored as <c>state.json</c> with snake_case keys.
/// </summary>
public sealed record TrainState
{
    /// <summary>Version of the checkpoint layout.</summary>
    public int FormatVersion { get; init; } = 1;
    /// <summary>Optimizer steps completed over the whole run.</summary>
    public int GlobalStep { get; init; }
    /// <summary>Index of the stage the next step belongs to.</summary>
    public int StageIndex { get; init; }
    /// <summary>Stages that ended before their configured steps (<c>delink.when: auto</c>): stage index -> the global step it ended at; the next stage takes the steps it left.</summary>
    public Dictionary<int, int> StageEnds { get; init; } = new();
    /// <summary>Gradient-agreement checks in a row below <c>delink.threshold</c> so far (<c>delink.when: auto</c>).</summary>
    public int DisagreeingChecks { get; init; }
    /// <summary>Micro-batches drawn from the training shard so far (the data position; batches are a pure function of it).</summary>
    public long DataPosition { get; init; }
    /// <summary>Training tokens consumed so far.</summary>
    public long Tokens { get; init; }
    /// <summary>Wall-clock seconds spent in training steps so far (evaluation and saving excluded).</summary>
    public double TrainSeconds { get; init; }
    /// <summary>The layer-to-block map of the model's stack (sharing).</summary>
    public int[] LayerToBlock { get; init; } = [];
    /// <summary>Identity of the tokenizer the model was trained with (kind + vocabulary hash).</summary>
    public string TokenizerIdentity { get; init; } = "";
    /// <summary>The tokenizer itself (kind, identity, and for <c>char</c> its vocabulary), so a checkpoint decodes on its own.</summary>
    public Data.TokenizerSpec? Tokenizer { get; init; }
    /// <summary>State of torch's default CPU generator (dropout), base64.</summary>
    public string RngState { get; init; } = "";
    /// <summary>AdamW step count per parameter name.</summary>
    public Dictionary<string, long> OptimizerSteps { get; init; } = new();
    /// <summary>
    /// Parameters whose values are not in <c>model.safetensors</c> but in the checkpoint's offload part (folder
    /// <c>offload/</c>, an offload-store snapshot with their AdamW moments): those of the layers an offloaded stage
    /// streams. Empty when nothing was offloaded.
    /// </summary>
    public string[] Offloaded { get; init; } = [];
    /// <summary>Whether the checkpoint has an offload part (offloaded weights and/or AdamW moments), which must then be present.</summary>
    public bool OffloadPart { get; init; }
    /// <summary>XxHash3 of each other file of the checkpoint (path relative to it -> 16 hex digits), verified on load; empty in checkpoints saved before checksums.</summary>
    public Dictionary<string, string> Checksums { get; init; } = new();
    /// <summary>The name of the stage whose last step this checkpoint holds (e.g. <c>pseudo</c>, before delinking), or null; keep-last pruning never removes such a checkpoint.</summary>
    public string? EndOfStage { get; init; }
    /// <summary>The checkpoint whose weights this run started from (<c>giant train --init-from</c>), or null.</summary>
    public string? InitializedFrom { get; init; }
    /// <summary>The run's config (with vocab_size resolved), as JSON.</summary>
    public string ConfigJson { get; init; } = "";
}
