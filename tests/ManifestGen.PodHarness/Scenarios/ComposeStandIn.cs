namespace ManifestGen.PodHarness.Scenarios;

/// <summary>
/// No container engine runs here, so the SSH host gets a stand-in for the <c>docker</c> CLI that answers
/// exactly the compose calls the runner and the example hooks make (<c>ps --services --status running</c>,
/// <c>stop</c>, <c>start</c>, <c>exec -T SERVICE CMD</c> for a database dump, with <c>-f FILE</c>), keeps the
/// running set in a file and records every call, so tests can check order and restarts.
/// </summary>
public static class ComposeStandIn
{
    public const string StateDirOnHost = "/var/lib/compose-standin";

    public const string Script = """
        #!/bin/sh
        # Stand-in for the docker CLI on the throwaway SSH host (no container engine in the test machine).
        state=/var/lib/compose-standin
        echo "$(pwd): docker $*" >> "$state/calls"
        [ "$1" = compose ] || { echo "docker stand-in: only 'docker compose' is supported" >&2; exit 1; }
        shift
        while [ "$1" = -f ] || [ "$1" = --file ]; do shift 2; done
        case "$1" in
          ps) cat "$state/running" ;;
          stop) shift; for s in "$@"; do grep -vx -- "$s" "$state/running" > "$state/running.new" || true; mv "$state/running.new" "$state/running"; done ;;
          start) shift; for s in "$@"; do grep -qx -- "$s" "$state/running" || echo "$s" >> "$state/running"; done ;;
          exec) shift; [ "$1" = -T ] && shift; svc=$1; shift
                echo "-- stand-in output of '$*' in service $svc" ;;
          *) echo "docker stand-in: unsupported compose command $1" >&2; exit 1 ;;
        esac

        """;
}
