using GiantSharp.Config;
using GiantSharp.Training;

namespace GiantSharp.Tests.Config;

public class LrScheduleTests
{
    [Fact]
    public void Warmup_then_cosine_continues_across_stages_with_optional_rewarmup()
    {
        var s = new ScheduleConfig { Lr = 1.0, WarmupSteps = 10, MinLrRatio = 0.1 };
        var stages = new[] { new StageConfig { Steps = 60 }, new StageConfig { Steps = 50, RewarmupSteps = 5 } };
        var lr = new LrSchedule(s, stages);
        Assert.Equal(0.1, lr.At(0), 12);
        Assert.Equal(1.0, lr.At(9), 12);
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 50 / 100.0)), lr.At(60) * 5, 12); // re-warmup 1/5 at the stage's first step
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 49 / 100.0)), lr.At(59), 12);
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 99 / 100.0)), lr.At(109), 12);
    }

    [Fact]
    public void Decay_steps_end_the_cosine_early_and_hold_the_floor_after()
    {
        var s = new ScheduleConfig { Lr = 2.0, WarmupSteps = 10, MinLrRatio = 0.1, DecaySteps = 110 };
        var lr = new LrSchedule(s, [new StageConfig { Steps = 100 }, new StageConfig { Steps = 100 }]);
        Assert.Equal(2.0 * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 50 / 100.0))), lr.At(60), 12);   // as a 110-step run
        Assert.Equal(0.2, lr.At(110), 12);
        Assert.Equal(0.2, lr.At(199), 12);
        var e = Assert.Throws<GiantSharp.Errors.ConfigException>(() => (s with { DecaySteps = 10 }).Validate());
        Assert.Equal("schedule.decay_steps", e.Key);
    }
}
