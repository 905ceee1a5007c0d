using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.utils;

namespace GiantSharp.Training;

/// <summary>Writes scalars (loss, lr, grad norm, throughput, MFU, val loss and bits per byte, MoE diagnostics) and the MoE per-expert load histogram as TensorBoard event files (TorchSharp's SummaryWriter).</summary>
public sealed class TensorBoardWriter : ITrainingObserver
{
    private readonly SummaryWriter _writer;

    /// <summary>Writes event files into <paramref name="logDir"/>.</summary>
    public TensorBoardWriter(string logDir) => _writer = tensorboard.SummaryWriter(logDir);

    /// <inheritdoc />
    public void OnStep(StepLog log)
    {
        _writer.add_scalar("train/loss", (float)log.Loss, log.Step);
        _writer.add_scalar("train/lr", (float)log.Lr, log.Step);
        _writer.add_scalar("train/grad_norm", (float)log.GradNorm, log.Step);
        _writer.add_scalar("train/tokens_per_second", (float)log.TokensPerSecond, log.Step);
        if (log.Mfu is { } mfu) _writer.add_scalar("train/mfu", (float)mfu, log.Step);
        if (log.AuxLoss != 0) _writer.add_scalar("train/aux_loss", (float)log.AuxLoss, log.Step);
        var (loads, others) = ExpertLoads.Split(log.Metrics);
        foreach (var (k, v) in others) _writer.add_scalar(k, (float)v, log.Step);
        if (loads.Count > 0)
        {
            using var values = tensor(loads.Select(v => (float)v).ToArray());
            _writer.add_histogram("moe/expert_load", values, log.Step);
            foreach (var (k, v) in ExpertLoads.Summary(loads)) _writer.add_scalar(k, (float)v, log.Step);
        }
    }

    /// <inheritdoc />
    public void OnEval(EvalLog log)
    {
        _writer.add_scalar("val/loss", (float)log.ValLoss, log.Step);
        _writer.add_scalar("val/perplexity", (float)log.Perplexity, log.Step);
        if (log.BitsPerByte is { } bpb) _writer.add_scalar("val/bpb", (float)bpb, log.Step);
    }
}
