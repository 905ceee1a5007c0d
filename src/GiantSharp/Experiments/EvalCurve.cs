using GiantSharp.Training;

namespace GiantSharp.Experiments;

/// <summary>The validation curve of one run, in order of steps; also an observer that records it.</summary>
public sealed class EvalCurve : ITrainingObserver
{
    private readonly List<EvalLog> _points = new();

    /// <summary>An empty curve named <paramref name="name"/>.</summary>
    public EvalCurve(string name) => Name = name;

    /// <summary>Run name, e.g. <c>pseudo-to-real</c>.</summary>
    public string Name { get; }

    /// <summary>The evaluations, in step order.</summary>
    public IReadOnlyList<EvalLog> Points => _points;

    /// <inheritdoc />
    public void OnEval(EvalLog log) => _points.Add(log);

    /// <summary>Validation loss at <paramref name="step"/> (an evaluated step), or null.</summary>
    public double? AtStep(int step) => _points.FirstOrDefault(p => p.Step == step)?.ValLoss;

    /// <summary>
    /// Validation loss after <paramref name="seconds"/> of training, linearly interpolated between
    /// evaluations (null before the first or after the last).
    /// </summary>
    public double? AtSeconds(double seconds)
    {
        for (int i = 1; i < _points.Count; i++)
        {
            var (a, b) = (_points[i - 1], _points[i]);
            if (seconds >= a.TrainSeconds && seconds <= b.TrainSeconds)
            {
                var f = b.TrainSeconds > a.TrainSeconds ? (seconds - a.TrainSeconds) / (b.TrainSeconds - a.TrainSeconds) : 1.0;
                return a.ValLoss + f * (b.ValLoss - a.ValLoss);
            }
        }
        return _points.Count > 0 && Math.Abs(seconds - _points[0].TrainSeconds) < 1e-9 ? _points[0].ValLoss : null;
    }

    /// <summary>The first evaluation whose validation loss is at most <paramref name="target"/>, or null.</summary>
    public EvalLog? FirstReaching(double target) => _points.FirstOrDefault(p => p.ValLoss <= target);
}
