namespace GiantSharp.Tests.Parallel;

/// <summary>A test that launches ranks with <c>mpirun</c>: skipped, with the reason, only where mpirun is not installed (CI installs Open MPI).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRun.Launcher is null) Skip = "mpirun not found on PATH (apt-get install -y openmpi-bin libopenmpi-dev)";
    }
}
