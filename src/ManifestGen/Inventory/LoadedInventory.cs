using System.Collections.Immutable;
using ManifestGen.Loading;

namespace ManifestGen.Inventory;

/// <summary>
/// A successfully loaded environment: the model, where each value was written, and the files it was
/// layered from (the environment file first, then its bases), as repo-relative paths.
/// </summary>
public sealed record LoadedInventory(string Environment, InventorySpec Model, SourceMap SourceMap, ImmutableArray<string> Files);
