using System.Text.Json.Nodes;
using GiantSharp.Checkpointing;
using GiantSharp.Cli;
using GiantSharp.Data;

namespace GiantSharp.Tests.Cli;

/// <summary>
/// Issue 12, through the built CLI: every bad input exits with one line naming the key, option or file and the exit
/// code of its kind (docs/exit-codes.md); no stack trace unless --verbose; nothing of an earlier run is lost.
/// </summary>
public class ReliabilityCliTests : IDisposable
{
    private readonly TinyCorpus _corpus = new();
    private string Dir => _corpus.Root;

    public void Dispose() => _corpus.Dispose();

    private static string AssertFails(GiantProcess.Result r, int code, params string[] mustContain)
    {
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{r.StdErr}");
        Assert.True(code == r.ExitCode, $"exit {r.ExitCode}, expected {code}: {r.StdErr}");
        foreach (var part in mustContain) Assert.Contains(part, lines[0]);
        Assert.DoesNotContain("   at ", r.StdErr);
        return lines[0];
    }

    private string Config(string outDir, string extra = "")
    {
        var path = Path.Combine(Dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, $$"""
            { "data": { "dir": "{{_corpus.Dir}}" }, "out_dir": "{{outDir}}" {{extra}},
              "model": { "n_layer": 2, "n_head": 2, "d_model": 16, "d_ff": 32, "seq_len": 16 },
              "stages": [ { "name": "pseudo", "sharing": "all", "steps": 2, "micro_batch": 2, "global_batch": 2 } ],
              "eval": { "every": 0, "sequences": 2 } }
            """);
        return path;
    }

    /// <summary>A finished two-step run (in process, for speed); returns its run folder and its checkpoint's state.json.</summary>
    private (string Run, string State) TrainedRun() => TrainedRun(out _);

    /// <summary>As <see cref="TrainedRun()"/>, with the run's config written as a file for <c>giant train --resume</c>.</summary>
    private (string Run, string State) TrainedRun(out string configFile)
    {
        var run = _corpus.Run(1, 1);
        using (var corpus = _corpus.Open())
        using (var trainer = new GiantSharp.Training.Trainer(run, corpus)) trainer.Run();
        configFile = Path.Combine(Dir, "trained.json");
        File.WriteAllText(configFile, GiantSharp.Config.ConfigLoader.ToJson(run));
        return (run.OutDir, Path.Combine(CheckpointStore.Resolve(run.OutDir), "state.json"));
    }

    [Theory]
    [InlineData("stages=null", "'stages'")]
    [InlineData("model=null", "'model'")]
    [InlineData("stages[0]=null", "'stages[0]'")]
    [InlineData("optimizer.eps=1e400", "'optimizer.eps'")]
    [InlineData("schedule.lr=-1e999", "'schedule.lr'")]
    public void Null_sections_and_non_finite_numbers_name_the_key(string set, string key) =>
        AssertFails(GiantProcess.Run(Dir, "train", Config(Path.Combine(Dir, "r")), "--set", set), CliErrors.UserError, key);

    [Fact]
    public void Verbose_adds_the_trace_and_keeps_the_code()
    {
        var r = GiantProcess.Run(Dir, "train", Config(Path.Combine(Dir, "r")), "--set", "stages=null", "--verbose");
        Assert.Equal(CliErrors.UserError, r.ExitCode);
        Assert.StartsWith("giant: error: config 'stages'", r.StdErr);
        Assert.Contains("   at ", r.StdErr);
    }

    [Fact]
    public void Unwritable_output_folder_is_an_io_error_naming_it() =>
        AssertFails(GiantProcess.Run(Dir, "train", Config("/sys/giant-reliability-test")), CliErrors.IoError, "/sys/giant-reliability-test");

    [Fact]
    public void The_configs_device_is_not_overridden_by_the_cli_default()
    {
        if (TorchSharp.torch.cuda.is_available()) return;                   // the refusal below needs a machine without CUDA
        AssertFails(GiantProcess.Run(Dir, "train", Config(Path.Combine(Dir, "r"), ", \"device\": \"cuda\"")), CliErrors.UserError, "config 'device'", "cuda");
    }

    [Theory]
    [InlineData("--temperature", "-1")]
    [InlineData("--top-p", "2")]
    [InlineData("--max-tokens", "-5")]
    [InlineData("--top-k", "-1")]
    [InlineData("--temperature", "Infinity")]
    public void Out_of_range_sampling_options_are_refused_before_loading(string option, string value) =>
        AssertFails(GiantProcess.Run(Dir, "generate", Path.Combine(Dir, "no-such-run"), "--prompt", "x", option, value), CliErrors.UserError, option, value);

    [Theory]
    [InlineData("rng_state", "\"AAAA\"")]
    [InlineData("optimizer_steps", "{}")]
    [InlineData("global_step", "-3")]
    [InlineData("layer_to_block", "null")]
    [InlineData("layer_to_block", "[0, 9, 0, 0]")]
    [InlineData("tokens", "\"many\"")]
    [InlineData("train_seconds", "1e400")]
    public void Edited_checkpoint_state_is_refused_naming_the_file_and_field(string field, string json)
    {
        var (run, state) = TrainedRun();
        var node = JsonNode.Parse(File.ReadAllText(state))!.AsObject();
        node[field] = JsonNode.Parse(json);
        File.WriteAllText(state, node.ToJsonString());
        AssertFails(GiantProcess.Run(Dir, "train", Config(run), "--resume", run), CliErrors.DataError, "state.json", field);
    }

    [Fact]
    public void An_optimizer_entry_removed_from_state_json_is_refused()
    {
        var (run, state) = TrainedRun(out var config);
        var node = JsonNode.Parse(File.ReadAllText(state))!.AsObject();
        node["optimizer_steps"]!.AsObject().Remove("wte.weight");
        File.WriteAllText(state, node.ToJsonString());
        AssertFails(GiantProcess.Run(Dir, "train", config, "--resume", run), CliErrors.DataError, "state.json", "wte.weight");
    }

    [Fact]
    public void Corrupt_token_shards_are_refused_before_native_code_reads_them()
    {
        var shard = Path.Combine(_corpus.Dir, PreparedCorpus.TrainFileName);
        var bytes = File.ReadAllBytes(shard);
        bytes[20] ^= 0x01;                                                  // one flipped bit: the checksum catches it
        File.WriteAllBytes(shard, bytes);
        AssertFails(GiantProcess.Run(Dir, "train", Config(Path.Combine(Dir, "r"))), CliErrors.DataError, "train.bin", "checksum");

        var meta = Path.Combine(_corpus.Dir, PreparedCorpus.MetaFileName);    // a corpus without checksums: the id range still is checked
        var node = JsonNode.Parse(File.ReadAllText(meta))!.AsObject();
        node["train"]!.AsObject().Remove("checksum");
        File.WriteAllText(meta, node.ToJsonString());
        bytes[20] = 0xFF; bytes[21] = 0xEE;
        File.WriteAllBytes(shard, bytes);
        AssertFails(GiantProcess.Run(Dir, "train", Config(Path.Combine(Dir, "r"))), CliErrors.DataError, "train.bin", "id 61183");
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("optimizer.safetensors")]
    public void Overwritten_checkpoint_bytes_are_refused_naming_the_file(string part)
    {
        var (run, state) = TrainedRun();
        var file = Path.Combine(Path.GetDirectoryName(state)!, part);
        using (var fs = new FileStream(file, FileMode.Open, FileAccess.Write)) { fs.Seek(-8, SeekOrigin.End); fs.Write(new byte[8]); }   // inside the last tensor's data
        AssertFails(GiantProcess.Run(Dir, "eval", run, _corpus.Dir), CliErrors.DataError, part, "checksum mismatch");
    }

    [Fact]
    public void A_fresh_run_into_an_existing_run_folder_is_refused_and_overwrite_replaces_it()
    {
        var (run, _) = TrainedRun();
        var before = Directory.GetFileSystemEntries(Path.Combine(run, "checkpoints"), "*", SearchOption.AllDirectories).Order().ToArray();
        AssertFails(GiantProcess.Run(Dir, "train", Config(run)), CliErrors.Refused, run, "--resume", "--overwrite");
        Assert.Equal(before, Directory.GetFileSystemEntries(Path.Combine(run, "checkpoints"), "*", SearchOption.AllDirectories).Order().ToArray());

        var fresh = GiantProcess.Run(Dir, "train", Config(run), "--overwrite", "--threads", "1");
        Assert.True(fresh.ExitCode == 0, fresh.StdErr);
        Assert.EndsWith("step-00000002", CheckpointStore.Resolve(run));
    }

    [Fact]
    public void Resuming_a_complete_run_is_an_error_and_its_hint_continues_it()
    {
        var (run, _) = TrainedRun(out var config);                           // 1 + 1 steps, done
        AssertFails(GiantProcess.Run(Dir, "train", config, "--resume", run), CliErrors.UserError,
            "'--resume'", "complete at step 2", "--set stages[1].steps=2", $"--init-from {CheckpointStore.Resolve(run)}");
        var more = GiantProcess.Run(Dir, "train", config, "--resume", run, "--set", "stages[1].steps=2", "--threads", "1");
        Assert.True(more.ExitCode == 0, more.StdErr);
        Assert.EndsWith("step-00000003", CheckpointStore.Resolve(run));
    }

    [Fact]
    public void Init_from_is_refused_with_resume_and_where_overwrite_would_delete_it()
    {
        var (run, _) = TrainedRun(out var config);
        AssertFails(GiantProcess.Run(Dir, "train", config, "--resume", run, "--init-from", run), CliErrors.UserError, "'--init-from'", "--resume");
        var before = Directory.GetFileSystemEntries(run, "*", SearchOption.AllDirectories).Order().ToArray();
        AssertFails(GiantProcess.Run(Dir, "train", config, "--overwrite", "--init-from", run), CliErrors.UserError, "'--init-from'", "--overwrite");
        Assert.Equal(before, Directory.GetFileSystemEntries(run, "*", SearchOption.AllDirectories).Order().ToArray());
        var other = Path.Combine(Dir, "from-weights");
        var pseudoEnd = Path.Combine(run, "checkpoints", "step-00000001");        // shared, as the config's first stage
        var fresh = GiantProcess.Run(Dir, "train", config, "--init-from", pseudoEnd, "--set", $"out_dir={other}", "--threads", "1");
        Assert.True(fresh.ExitCode == 0, fresh.StdErr);
        Assert.Contains($"starting from the weights of {pseudoEnd}: step 0", fresh.StdOut);
        Assert.EndsWith("step-00000002", CheckpointStore.Resolve(other));
    }

    [Fact]
    public void Delink_into_an_existing_checkpoints_folder_deletes_nothing()
    {
        var (run, _) = TrainedRun();
        var store = Path.Combine(run, "checkpoints");
        var before = Directory.GetFileSystemEntries(store, "*", SearchOption.AllDirectories).Order().ToArray();
        AssertFails(GiantProcess.Run(Dir, "delink", run, store), CliErrors.Refused, store);
        Assert.Equal(before, Directory.GetFileSystemEntries(store, "*", SearchOption.AllDirectories).Order().ToArray());
    }

    [Fact]
    public void Divergence_stops_with_its_own_code_and_latest_stays_the_last_finite_step()
    {
        var run = Path.Combine(Dir, "diverging");
        var r = GiantProcess.Run(Dir, "train", Config(run), "--threads", "1", "--set", "schedule.lr=1e30", "--set", "stages[0].steps=6", "--set", "checkpoint.every=1");
        AssertFails(r, CliErrors.Diverged, "diverged at step 2", "step-00000001");
        Assert.EndsWith("step-00000001", CheckpointStore.Resolve(run));
    }

    [Fact]
    public void A_tokenizer_other_than_the_corpus_is_refused_naming_both() =>
        AssertFails(GiantProcess.Run(Dir, "train", Config(Path.Combine(Dir, "r")), "--set", "data.tokenizer=byte"), CliErrors.UserError, "data.tokenizer", "'byte'", "'char'", "meta.json");

    [Fact]
    public void Following_the_hint_printed_after_sigterm_finishes_the_run_with_its_overrides()
    {
        if (!OperatingSystem.IsLinux()) return;
        var run = Path.Combine(Dir, "signalled");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = Dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "giant.dll"), "train", Config(run), "--threads", "1",
                     "--set", "stages[0].steps=400", "--set", "log_every=1", "--set", "checkpoint.final=true" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null && !line.Contains(" step 2/400", StringComparison.Ordinal)) { }
        Assert.NotNull(line);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", p.Id.ToString()])!) kill.WaitForExit();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(130, p.ExitCode);
        var hint = stderr.Result.Split('\n').Single(l => l.Contains("continue with: ", StringComparison.Ordinal));
        var command = hint[(hint.IndexOf("continue with: giant ", StringComparison.Ordinal) + "continue with: giant ".Length)..].Trim();
        Assert.Contains("'stages[0].steps=400'", command);
        var args = System.Text.RegularExpressions.Regex.Matches(command, @"'([^']*)'|(\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToArray();
        var resumed = GiantProcess.Run(Dir, args);
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Contains("done at step 400", resumed.StdOut);
    }

    [Fact]
    public void Resume_hint_keeps_every_argument()
    {
        var hint = RunFolder.ResumeCommand(["train", "c.json", "--set", "stages[0].steps=3006", "--threads", "2", "--overwrite", "--set", "name=a b"], "runs/x");
        Assert.Equal("giant train c.json --set 'stages[0].steps=3006' --threads 2 --set 'name=a b' --resume runs/x", hint);
        Assert.Equal("giant train c.json --resume runs/x", RunFolder.ResumeCommand(["train", "c.json", "--resume", "old"], "runs/x"));
    }
}
