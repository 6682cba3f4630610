using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>
/// The repository directory on NFS. The export root exists; the repository directory below it may not.
/// A Sync hook ordered before the volume (wave -1) creates it, idempotently, on every sync. Other storage
/// needs nothing before its volume.
/// </summary>
internal static class RepositoryStoragePlanner
{
    public static IEnumerable<RenderUnit> Prepare(PlanContext ctx)
    {
        var repo = ctx.Repo;
        if (repo.Storage.Nfs is not { } nfs)
            yield break;
        var relative = Path.GetRelativePath(nfs.ExportRoot, nfs.Path).Replace('\\', '/');
        const string exportMount = "/export";
        var target = relative is "." ? exportMount : exportMount + "/" + relative;
        var prepareName = Names.Prepare(repo.Name);
        var prepareLabels = With(ctx.BaseLabels, ("app.kubernetes.io/component", "prepare"));
        // The export root reaches the Job through a statically bound volume and claim of its own, not an
        // inline nfs volume (Pod Security restricted allows claims, not nfs). The Job runs as the pods'
        // user: the export root must be writable by it, and the folder it creates is then its own.
        var exportClaim = Names.ExportClaim(repo.Name);
        var exportVolume = Names.ExportVolume(ctx.Ns, repo.Name);
        yield return new RenderUnit("persistent-volume.sbn", new PersistentVolumeModel(
            Meta(exportVolume, null, prepareLabels, Wave(-2)), repo.Capacity, repo.StorageClassName, repo.AccessModes, ctx.Ns, exportClaim,
            new NfsSource(nfs.Server, nfs.ExportRoot), nfs.MountOptions, null, null), "repository.storage.nfs");
        yield return new RenderUnit("persistent-volume-claim.sbn", new PersistentVolumeClaimModel(
            Meta(exportClaim, ctx.Ns, prepareLabels, Wave(-2)), repo.Capacity, repo.StorageClassName, repo.AccessModes, exportVolume),
            "repository.storage.nfs");
        var pod = new PodModel(prepareLabels, ctx.Image, ctx.Inv.Image.PullPolicy, ["mkdir"], ["-p", target], [],
            [new MountModel("export", exportMount, null, false)],
            [new VolumeModel("export", VolumeKind.Claim, exportClaim)],
            PodSecurity.Restricted,
            Resources(new ResourcesSpec { Requests = new() { Cpu = "10m", Memory = "16Mi" }, Limits = new() { Memory = "64Mi" } }),
            null, ServiceAccountName);
        yield return new RenderUnit("job.sbn", new JobModel(
            Meta(prepareName, ctx.Ns, prepareLabels, Hook(-1)), new JobSpecModel(300, 2, pod)), "repository.storage.nfs");
    }
}
