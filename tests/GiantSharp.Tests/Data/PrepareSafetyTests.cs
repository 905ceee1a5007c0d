using System.Diagnostics;
using GiantSharp.Data;
using GiantSharp.Errors;

namespace GiantSharp.Tests.Data;

/// <summary>Prepare reads only regular files, and a re-prepare that fails leaves the existing corpus as it was.</summary>
public class PrepareSafetyTests
{
    private static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]))!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void A_fifo_in_an_input_folder_is_skipped_and_reported_not_read()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var dir = new TempDir();
        dir.Write("in/poems", Samples.FortuneFile);
        MakeFifo(Path.Combine(dir.Path, "in", "pipe"));                    // reading it would block forever
        var task = Task.Run(() => CorpusPreparer.Prepare([Path.Combine(dir.Path, "in")], Path.Combine(dir.Path, "out"), "char", 0.3, 1));
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "prepare hung on the FIFO");
        Assert.Equal([Path.Combine(dir.Path, "in", "pipe")], task.Result.Meta.Skipped.Select(s => s.Path));
        Assert.Equal(Samples.FortuneDocs.Length, task.Result.Meta.Train.Documents + task.Result.Meta.Val.Documents);
        Assert.Throws<DataException>(() => CorpusPreparer.Prepare([Path.Combine(dir.Path, "in", "pipe")], Path.Combine(dir.Path, "out2"), "char", 0.3, 1));
    }

    [Fact]
    public void A_failed_re_prepare_leaves_the_corpus_and_no_staging_folder()
    {
        using var dir = new TempDir();
        var out_ = Path.Combine(dir.Path, "out");
        CorpusPreparer.Prepare([dir.Write("a.txt", Samples.FortuneFile)], out_, "char", 0.3, 1);
        var before = Directory.GetFiles(out_).ToDictionary(f => f, File.ReadAllBytes);
        Directory.CreateDirectory(Path.Combine(out_, ".prepare-killed"));      // a killed prepare's staging folder
        var bad = dir.WriteBytes("bad.txt", [0xC3, 0x28, 0x0A, 0x25, 0x0A, 0xFF]);
        Assert.Throws<DataException>(() => CorpusPreparer.Prepare([bad], out_, "char", 0.3, 1));
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file));
        using var corpus = PreparedCorpus.Open(out_);                         // checksums and id range still verify
        CorpusPreparer.Prepare([dir.Write("b.txt", Samples.FortuneFile)], out_, "byte", 0.3, 1);
        Assert.Empty(Directory.GetDirectories(out_, ".prepare-*"));
    }
}
