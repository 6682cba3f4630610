using System.Collections.Immutable;

namespace ManifestGen.Contracts;

/// <summary>
/// The app settings that only some transfer strategies read, with the strategies that read them: the
/// rsync transfer (RsyncTransfer: --timeout, the re-copy passes, the checksum pass), the file backup of a
/// mirror or mount (restic's exit 3), the mirror claim the planner renders for rsync only. For any other
/// strategy the value is carried in the job configuration and never read; the generator warns (MG0718).
/// </summary>
public static class StrategySettings
{
    private static readonly ImmutableArray<TransferStrategy> Rsync = [TransferStrategy.Rsync];

    public static readonly ImmutableSortedDictionary<string, ImmutableArray<TransferStrategy>> ReadOnlyBy =
        new Dictionary<string, ImmutableArray<TransferStrategy>>(StringComparer.Ordinal)
        {
            ["changedFileIsFailure"] = Rsync,
            ["changedFileRecopies"] = Rsync,
            ["checksumIntervalDays"] = Rsync,
            ["mirrorSize"] = Rsync,
            ["partialIsFailure"] = [TransferStrategy.Rsync, TransferStrategy.Sshfs],
            ["transferTimeoutSeconds"] = Rsync,
        }.ToImmutableSortedDictionary(StringComparer.Ordinal);
}
