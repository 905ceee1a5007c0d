using System.CommandLine;
using GiantSharp.Training;

namespace GiantSharp.Cli.Commands;

/// <summary><c>giant plot RUN... [--out FILE.png] [--x steps|tokens|time]</c>: train and val loss of runs, from their metrics.jsonl, as a PNG.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (a train run's out_dir, holding metrics.jsonl).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "PNG to write (default: curves.png in the first run folder)." };
        var axis = new Option<string>("--x") { Description = "x axis: optimizer steps, training tokens or training seconds", DefaultValueFactory = _ => "steps" };
        axis.AcceptOnlyFromAmong("steps", "tokens", "time");
        var command = new Command("plot", "Plot the train and val loss of one or several runs from their metrics.jsonl, stage switches (delinking) marked.")
        {
            runs, output, axis,
        };
        command.SetAction((ParseResult r) =>
        {
            var x = Enum.Parse<PlotAxis>(r.GetValue(axis)!, ignoreCase: true);
            var curves = r.GetValue(runs)!.Select(run => RunCurves.Read(run, x)).ToList();
            var path = r.GetValue(output) ?? Path.Combine(r.GetValue(runs)![0], "curves.png");
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir && !Directory.Exists(dir))
                throw new Errors.ConfigException("--out", $"folder {dir} does not exist");
            Plots.LossCurves(curves, path);
            foreach (var c in curves)
                Console.WriteLine($"{c.Name}: {c.Train.Count} train points, {c.Val.Count} val points, {c.Switches.Count} stage switch(es)" +
                    string.Concat(c.Switches.Select(s => $"; {s.Label} at {s.X:G6}")));
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }
}
