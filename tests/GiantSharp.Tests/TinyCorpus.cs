using System.Text;
using GiantSharp.Config;
using GiantSharp.Data;
using GiantSharp.Model;
using GiantSharp.Sharing;

namespace GiantSharp.Tests;

/// <summary>A small prepared corpus (char tokenizer) in a temp folder, and tiny run configs over it. Deleted on dispose.</summary>
internal sealed class TinyCorpus : IDisposable
{
    public TinyCorpus(int documents = 60)
    {
        Root = Path.Combine(Path.GetTempPath(), "giantsharp-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        var text = Path.Combine(Root, "poems.txt");
        var sb = new StringBuilder();
        var lines = new[] { "床前明月光，疑是地上霜。", "举头望明月，低头思故乡。", "春眠不觉晓，处处闻啼鸟。", "夜来风雨声，花落知多少。", "白日依山尽，黄河入海流。" };
        for (int d = 0; d < documents; d++)
        {
            for (int l = 0; l < 4; l++) sb.AppendLine(lines[(d * 3 + l * 7) % lines.Length]);
            sb.AppendLine("%");
        }
        File.WriteAllText(text, sb.ToString());
        Dir = Path.Combine(Root, "prepared");
        CorpusPreparer.Prepare([text], Dir, "char", 0.2, 1234);
    }

    public string Root { get; }
    public string Dir { get; }

    public PreparedCorpus Open() => PreparedCorpus.Open(Dir);

    /// <summary>A two-stage Pseudo-to-Real run of a 4-layer model: <paramref name="pseudoSteps"/> shared, then <paramref name="realSteps"/> delinked.</summary>
    public RunConfig Run(int pseudoSteps = 5, int realSteps = 5, string name = "t") => new RunConfig
    {
        Name = name,
        OutDir = Path.Combine(Root, "runs", name),
        Model = new ModelConfig { NLayer = 4, NHead = 2, DModel = 32, DFf = 64, SeqLen = 16 },
        Data = new DataConfig { Dir = Dir },
        Schedule = new ScheduleConfig { Lr = 3e-3, WarmupSteps = 2 },
        Optimizer = new OptimizerConfig { GradClip = 1.0 },
        Stages = [
            new StageConfig { Name = "pseudo", Sharing = SharingPlan.All, Steps = pseudoSteps, MicroBatch = 4, GlobalBatch = 8 },
            new StageConfig { Name = "real", Sharing = SharingPlan.None, Steps = realSteps, MicroBatch = 4, GlobalBatch = 8 },
        ],
        Eval = new EvalConfig { Every = 0, Sequences = 8 },
        Checkpoint = new CheckpointConfig { Every = 0, Keep = 2 },
    }.Validate();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
