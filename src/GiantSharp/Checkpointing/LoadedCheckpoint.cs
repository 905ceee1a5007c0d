using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Errors;
using GiantSharp.Model;
using GiantSharp.Training.Optim;

namespace GiantSharp.Checkpointing;

/// <summary>A checkpoint read back for evaluation, sampling or offline delinking: config, state, model and tokenizer.</summary>
public sealed class LoadedCheckpoint : IDisposable
{
    private readonly AdamW _offloadedState;

    private LoadedCheckpoint(string dir, RunConfig config, TrainState state, GptModel model, ITokenizer tokenizer, AdamW offloadedState)
    {
        _offloadedState = offloadedState;
        Directory = dir;
        Config = config;
        State = state;
        Model = model;
        Tokenizer = tokenizer;
    }

    /// <summary>The checkpoint folder.</summary>
    public string Directory { get; }
    /// <summary>The run config saved with it.</summary>
    public RunConfig Config { get; }
    /// <summary>Where the run stood.</summary>
    public TrainState State { get; }
    /// <summary>The model, with its sharing, in eval mode.</summary>
    public GptModel Model { get; }
    /// <summary>The tokenizer the model was trained with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>
    /// Reads the checkpoint at <paramref name="path"/> (a checkpoint, store or run folder). A checkpoint of an
    /// offloaded stage is read whole: its offload part is loaded into the model (host memory must hold it).
    /// </summary>
    /// <exception cref="DataException">Nothing readable is there, or its parts do not match.</exception>
    public static LoadedCheckpoint Open(string path)
    {
        var dir = CheckpointStore.Resolve(path);
        var (state, config) = CheckpointStore.ReadState(dir);
        if (state.Tokenizer is null) throw new DataException(dir, "checkpoint has no tokenizer");
        var tokenizer = TokenizerFactory.FromSpec(state.Tokenizer, Path.Combine(dir, "state.json"));
        var model = CheckpointStore.LoadModel(dir, config, state);
        var offloaded = new AdamW(config.Optimizer.ToAdamW());
        try { Offload.OffloadedCheckpoint.Restore(dir, state, model, config, offloaded); }
        catch
        {
            offloaded.Dispose();
            model.Dispose();
            throw;
        }
        model.eval();
        return new LoadedCheckpoint(dir, config, state, model, tokenizer, offloaded);
    }

    /// <summary>The optimizer state saved with the checkpoint (offloaded parameters' included).</summary>
    public AdamW LoadOptimizer()
    {
        var optimizer = new AdamW(Config.Optimizer.ToAdamW());
        CheckpointStore.LoadOptimizer(optimizer, Directory, State);
        if (_offloadedState.State.Count > 0)
            optimizer.ReplaceState(optimizer.State.Concat(_offloadedState.State.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Clone()))).ToDictionary());
        return optimizer;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _offloadedState.Dispose();
        Model.Dispose();
    }
}
