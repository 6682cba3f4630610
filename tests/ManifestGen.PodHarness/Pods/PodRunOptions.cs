using System.Collections.Immutable;
using k8s.Models;

namespace ManifestGen.PodHarness.Pods;

/// <summary>How the harness runs a pod here, where no cluster exists.</summary>
public sealed record PodRunOptions
{
    /// <summary>Where claims live between runs: one folder per claim name (a claim's data persists).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>The image every pod runs in; null builds (or finds in the cache) this checkout's through image/make-image.sh.</summary>
    public Runtime.RunnerImage? Image { get; init; }

    /// <summary>
    /// Secrets the manifests reference but do not contain (credentials are never rendered):
    /// name → key → bytes. Every key the manifest asks for must be here.
    /// </summary>
    public ImmutableDictionary<string, ImmutableDictionary<string, byte[]>> Secrets { get; init; } =
        ImmutableDictionary<string, ImmutableDictionary<string, byte[]>>.Empty;

    /// <summary>Network namespace the pod joins (the one its SSH host listens in).</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Upper bound of one run; the Job's or pod's activeDeadlineSeconds shortens it.</summary>
    public TimeSpan Timeout { get; init; } = ManifestGen.Testing.Patience.Progress;

    /// <summary>Upper bound of a Deployment's pod started in the background (<see cref="PodRunner.StartAsync"/>).</summary>
    public TimeSpan LongRunningTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The container to run when the pod has more than one.</summary>
    public string? ContainerName { get; init; }

    /// <summary>Extra /etc/hosts entries, as a cluster's DNS would resolve the inventory's host names.</summary>
    public ImmutableArray<V1HostAlias> ExtraHosts { get; init; } = [];

    /// <summary>
    /// Replaces the container's args for this run, as an operator does with
    /// <c>kubectl create job --from=cronjob/NAME</c> and changed args (restore, snapshots): the same image,
    /// mounts, environment and job configuration as the rendered CronJob.
    /// </summary>
    public ImmutableArray<string>? ArgsOverride { get; init; }

    /// <summary>
    /// Smaller sizes for named emptyDir volumes than their rendered sizeLimit (e.g. "tmp" → 4 MiB), so a test
    /// can show what outgrows a volume without writing its full size; the rendered limit applies to all others.
    /// </summary>
    public ImmutableDictionary<string, long> EmptyDirSizeCaps { get; init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>Receives the workload's stderr lines as they come (progress in a demo).</summary>
    public Action<string>? OnStderrLine { get; init; }
}

/// <summary>A Deployment's pod running in the background; disposing stops it as the kubelet does.</summary>
public sealed class RunningPod(string name, Task<PodRunResult> run, CancellationTokenSource stop) : IAsyncDisposable
{
    public string Name { get; } = name;

    /// <summary>The pod's exit: only when it crashed (or was stopped).</summary>
    public Task<PodRunResult> Exited { get; } = run;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try { await Exited.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        stop.Dispose();
    }
}

/// <summary>What one run did. <see cref="NotReproduced"/> lists what a cluster would do that the harness could not.</summary>
public sealed record PodRunResult(
    string PodName,
    int ExitCode,
    string Stdout,
    string Stderr,
    TimeSpan Duration,
    bool TimedOut,
    ImmutableArray<string> NotReproduced)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public override string ToString() =>
        $"pod {PodName}: exit {ExitCode}{(TimedOut ? " (deadline exceeded)" : "")} after {Duration.TotalSeconds:0.0}s\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}
