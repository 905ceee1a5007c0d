using System.CommandLine;
using GiantSharp.Config;
using GiantSharp.Training;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant train CONFIG</c>: runs the stages of a run config (e.g. Pseudo Giant, delink, Real Giant).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Run config (JSON), e.g. configs/tang-tiny.json." };
        var set = CommonOptions.Set();
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint folder or a run folder (its latest checkpoint)." };
        var initFrom = new Option<string?>("--init-from")
        {
            Description = "Start a new run (step 0, fresh LR schedule and AdamW state) from the weights of a checkpoint or run folder, shared or delinked; " +
                "its shape, tokenizer and layer sharing must match the config's first stage.",
        };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var maxMemory = CommonOptions.MaxMemory();
        var overwrite = new Option<bool>("--overwrite") { Description = "Start afresh even though OUT_DIR holds checkpoints of an earlier run: deletes them first (without it, such a run is refused)." };
        var precision = CommonOptions.Precision();
        var command = new Command("train", "Train a model through the stages of a run config (Pseudo Giant -> delink -> Real Giant).")
        {
            config, set, resume, initFrom, threads, device, maxMemory, overwrite, precision,
        };
        command.SetAction((ParseResult r) =>
        {
            var overrides = CommonOptions.Overrides(r, set, maxMemory, precision);
            var deviceGiven = r.GetResult(device) is { Implicit: false };
            if (deviceGiven) overrides.Add($"device={r.GetValue(device)}");   // the config's device stands unless --device is given
            var run = ConfigLoader.Load(r.GetValue(config)!, overrides);
            CommonOptions.Apply(r.GetValue(threads), run.Device, deviceGiven ? "--device" : "device");
            foreach (var leftover in new Checkpointing.CheckpointStore(Path.Combine(run.OutDir, "checkpoints")).SweepLeftovers())
                Console.WriteLine($"removed {leftover}, left by an interrupted save");
            if (r.GetValue(resume) is { } from)
            {
                if (r.GetValue(initFrom) is not null) throw new Errors.ConfigException("--init-from", "starts a new run from a checkpoint's weights; --resume continues a run: give one of them");
                RunFolder.ClaimForResume(run.OutDir, from, r.GetValue(overwrite));
            }
            else
            {
                if (r.GetValue(initFrom) is { } weights) RunFolder.CheckInitSurvives(run.OutDir, weights, r.GetValue(overwrite));
                RunFolder.ClaimForFreshRun(run.OutDir, r.GetValue(overwrite));
            }
            bool existed = Directory.Exists(run.OutDir);
            if (Parallel.Communicator.World.IsRoot) RunFolder.MarkTrainRun(run.OutDir);
            using var interruption = new Interruption();
            Checkpointing.TrainState state;
            try { state = Train(run, r.GetValue(resume), cancel: interruption.Token, initFrom: r.GetValue(initFrom)); }
            catch
            {
                if (!existed) RunFolder.RemoveIfOnlyMarked(run.OutDir);          // a refused run leaves no folder behind
                throw;
            }
            if (!interruption.Requested) return 0;
            Console.Error.WriteLine($"giant: interrupted after step {state.GlobalStep}; continue with: {RunFolder.ResumeCommand(Environment.GetCommandLineArgs().Skip(1), run.OutDir)}");
            return Interruption.ExitCode;
        });
        return command;
    }

    /// <summary>
    /// Opens (preparing if needed) the corpus, trains with console, JSONL and TensorBoard output, and returns the
    /// final state. A run stopped by <paramref name="cancel"/> writes a checkpoint of where it stopped.
    /// </summary>
    public static Checkpointing.TrainState Train(RunConfig run, string? resume = null, IReadOnlyList<ITrainingObserver>? extra = null, string? label = null,
        CancellationToken cancel = default, string? initFrom = null)
    {
        using var corpus = CorpusProvisioner.Open(run.Data, run.Seed, Console.WriteLine);
        Checkpointing.TrainState? final = null;
        var world = Parallel.Communicator.World;
        if (!world.IsRoot)
        {
            // Progress, logs and metrics come from rank 0; the other ranks only compute (and answer its collectives).
            using var trainer = new Trainer(run, corpus, resumeFrom: resume, initFrom: initFrom);
            if (resume is not null) RunFolder.CheckLeftToTrain(trainer.Config, trainer.State, resume);
            trainer.Run(cancel);
            if (cancel.IsCancellationRequested) trainer.SaveCheckpoint();
            return trainer.State;
        }
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var summary = new RunSummary();
        ConsoleProgress.Run(run, label ?? run.Name, progress =>
        {
            using var trainer = new Trainer(run, corpus, resumeFrom: resume, initFrom: initFrom) { PeakFlopsPerSecond = PeakForMfu(run) };
            if (resume is not null) RunFolder.CheckLeftToTrain(trainer.Config, trainer.State, resume);   // after loading: a damaged checkpoint says so first
            if (trainer.State.InitializedFrom is { } source)
                progress.OnNotice($"starting from the weights of {source}: step 0, fresh LR schedule and AdamW state");
            using var outputs = new RunOutputs(trainer.Config, trainer.State.GlobalStep);
            trainer.Observers.AddRange(outputs.Observers);
            trainer.Observers.Add(progress);
            trainer.Observers.Add(summary);
            trainer.Observers.AddRange(extra ?? []);
            if (world.IsDistributed)
                foreach (var o in trainer.Observers) o.OnNotice($"data parallel on {world.Size} ranks (ZeRO stage {run.Parallel?.ZeroStage ?? 0})");
            trainer.Run(cancel);
            if (cancel.IsCancellationRequested) trainer.SaveCheckpoint();
            final = trainer.State;
        });
        foreach (var line in summary.Lines(final!.GlobalStep, final.Tokens, final.TrainSeconds, wall.Elapsed, cancel.IsCancellationRequested))
            Console.WriteLine($"{label ?? run.Name}: {line}");
        Console.WriteLine($"{label ?? run.Name}: peak RSS {Offload.MachineResources.PeakResidentBytes() / (1024.0 * 1024):F0} MiB");
        return final;
    }

    /// <summary>
    /// The matmul peak each step's MFU is reported against: a short measurement (n = 512 and 1024, best of 3 runs per
    /// layout, well under a second on one core) in the compute precision; null on a GPU, where it would measure the CPU.
    /// </summary>
    private static double? PeakForMfu(RunConfig run)
    {
        if (run.Device.StartsWith("cuda", StringComparison.Ordinal)) return null;
        var dtype = MixedPrecision.PrecisionResolver.Resolve(run).Compute;
        lock (_peaks)
        {
            if (!_peaks.TryGetValue(dtype, out var peak)) _peaks[dtype] = peak = Bench.MatmulPeak.Measure(dtype, [512, 1024], repeats: 3);
            return peak;
        }
    }

    private static readonly Dictionary<TorchSharp.torch.ScalarType, double> _peaks = [];                // once per process and precision (demos train several runs)
}
