using System.Globalization;
using GiantSharp.Config;
using GiantSharp.Offload;
using GiantSharp.Training;
using Spectre.Console;

namespace GiantSharp.Cli;

/// <summary>
/// Console progress of a run (Spectre.Console): a progress bar per run with stage, step, loss, lr,
/// tokens/s and ETA when the console is interactive; a plain line every <c>log_every</c> steps otherwise.
/// </summary>
internal sealed class ConsoleProgress : ITrainingObserver
{
    private readonly RunConfig _config;
    private readonly string _label;
    private ProgressTask? _task;

    private ConsoleProgress(RunConfig config, string label)
    {
        _config = config;
        _label = label;
    }

    /// <summary>Runs <paramref name="body"/> with a progress display; the observer passed to it reports to that display.</summary>
    public static void Run(RunConfig config, string label, Action<ConsoleProgress> body)
    {
        var progress = new ConsoleProgress(config, label);
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            body(progress);
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                progress._task = ctx.AddTask(Markup.Escape(label), maxValue: config.TotalSteps);
                body(progress);
            });
    }

    /// <inheritdoc />
    public void OnStageStart(int stageIndex, StageConfig stage, int step, bool delinked)
    {
        var note = delinked ? " (delinked: every layer now has its own weights and optimizer state)" : "";
        Line($"[bold]{Markup.Escape(_label)}[/]: stage [green]{Markup.Escape(stage.Name)}[/] from step {step}, sharing {stage.Sharing}{Markup.Escape(note)}");
    }

    /// <inheritdoc />
    public void OnRunStart(RunStart start)
    {
        foreach (var line in start.Lines()) Line($"{Markup.Escape(_label)}: {Markup.Escape(line)}");
    }

    /// <summary>
    /// A step's log line: stage, step, loss, lr, ms/step, tokens/s, MFU (when measured), peak RSS, and for a streamed
    /// stage the transfer and stall time of the step and the share of transfer hidden behind compute.
    /// </summary>
    internal static string StepText(StepLog log)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = string.Create(inv, $"{log.Stage} step {log.Step}/{log.TotalSteps} loss {log.Loss:F4} lr {log.Lr:E2} {log.StepSeconds * 1000:F0} ms/step {log.TokensPerSecond:N0} tok/s");
        if (log.Mfu is { } mfu) text += string.Create(inv, $" MFU {mfu:F3}");
        text += string.Create(inv, $" peak RSS {log.PeakResidentBytes / (1024.0 * 1024):F0} MiB");
        if (log.Metrics.TryGetValue(OffloadStats.TransferKey, out var transfer) && log.Metrics.TryGetValue(OffloadStats.StallKey, out var stall)
            && log.Metrics.TryGetValue(OffloadStats.HiddenKey, out var hidden))
            text += string.Create(inv, $" transfer {transfer * 1000:F0} ms stall {stall * 1000:F0} ms hidden {hidden * 100:F0}%");
        return text;
    }

    /// <inheritdoc />
    public void OnStep(StepLog log)
    {
        var text = StepText(log);
        if (_task is not null)
        {
            _task.Description = Markup.Escape($"{_label}: {text}");
            _task.Value = log.Step;
        }
        else if (log.Step % _config.LogEvery == 0 || log.Step == log.TotalSteps)
        {
            var eta = TimeSpan.FromSeconds(log.EtaSeconds(log.TrainSeconds / Math.Max(1, log.Step)));
            Console.WriteLine($"{_label}: {text} eta {eta:mm\\:ss}");
        }
    }

    /// <inheritdoc />
    public void OnEval(EvalLog log) =>
        Line($"{Markup.Escape(_label)}: [blue]eval[/] step {log.Step} val loss {log.ValLoss:F4} ppl {log.Perplexity:F2}" + (log.BitsPerByte is { } bpb ? $" bpb {bpb:F4}" : ""));

    /// <inheritdoc />
    public void OnNotice(string text) => Line($"{Markup.Escape(_label)}: {Markup.Escape(text)}");

    /// <inheritdoc />
    public void OnCheckpoint(string path, int step) => Line($"{Markup.Escape(_label)}: checkpoint step {step} -> {Markup.Escape(path)}");

    private static void Line(string markup)
    {
        if (AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.MarkupLine(markup);
        else Console.WriteLine(Markup.Remove(markup));
    }
}
