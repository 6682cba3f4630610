#!/usr/bin/env python3
"""Writes tests/cases/invalid/<case>/{inventory.yaml,codes} from base-valid.yaml, one mistake per case.

Each case names the codes it must produce. The full expected report (expected.txt) is written by the
tests with UPDATE_SNAPSHOTS=1. Run: python3 tests/cases/make-cases.py (idempotent; leaves expected.txt alone).
With an argument, writes invalid/ and valid/ under that folder instead (the tests compare such a fresh
run with the committed cases).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = open(os.path.join(HERE, "base-valid.yaml"), encoding="utf-8").read()
BASE = BASE.replace("# yaml-language-server: $schema=../../schemas/inventory.schema.json\n",
                    "# yaml-language-server: $schema=../../../../schemas/inventory.schema.json\n")

ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp"
HOSTKEY1 = "      - ssh-ed25519 " + ED25519 + "\n"
WEAK_RSA = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC3XCkTe1bSugyA6KuUQEALWyPfmwBQva4oKr3Bjz07i6utJlAI3fzjSdNVUtSy/"
            "QDrrpreg56EwNAGscz+J8bxXvKvtfWRNNZDj7U/GrRcvV6yVLR958LVx6eeaeSBgpJx+4ltkVQqzG/N0VJz+yA9zlt40yPd2fhU4u0vfiKzmQ==")
SEALED = "AgBx" + "x7Yc" * 40  # shaped like kubeseal output (long base64); not a real ciphertext
DAILY = '  schedule: "0 2 * * *"\n'


def sealed(password=SEALED, ssh_keys=True):
    """A secrets section in sealed mode; ssh_keys=False leaves the hosts' SSH key Secrets out."""
    text = f"\nsecrets:\n  mode: sealed\n  sealed:\n    encryptedData:\n      restic-repository:\n        password: {password}\n"
    if ssh_keys:
        for host in ("kvm-prod-01", "kvm-prod-02"):
            text += f"      ssh-{host}:\n        ssh-privatekey: {SEALED}\n"
        # the append-only server's Secrets (the base has repository.server)
        text += f"      restic-rest-server:\n        htpasswd: {SEALED}\n"
        for host in ("kvm-prod-01", "kvm-prod-02"):
            text += f"      restic-rest-{host}:\n        password: {SEALED}\n"
    return text

VW_SCHED = 'schedule: "15 1-23/6 * * *"'

CASES = []


def case(name, codes, *edits, prepend="", append="", files=None, text=None):
    CASES.append((name, codes, edits, prepend, append, files or {}, text))


# ---- YAML and shape (reported by the loader) -------------------------------------------------
case("yaml-syntax-unclosed-flow", ["MG0002"], ("  capacity: 2Ti\n", "  capacity: [2Ti\n"))
case("yaml-unquoted-cron-alias", ["MG0182"], (VW_SCHED, "schedule: */15 * * * *"))
case("yaml-unquoted-cron-descriptor", ["MG0182"], (VW_SCHED, "schedule: @daily"))
case("unknown-key-typo", ["MG0101"], (DAILY, '  shedule: "0 2 * * *"\n'))
case("duplicate-key", ["MG0003"], ("  capacity: 2Ti\n", "  capacity: 2Ti\n  capacity: 3Ti\n"))
case("wrong-type-port", ["MG0102"], ("    port: 2222\n", "    port: twenty-two\n"))
case("missing-required-address", ["MG0103"], ("    address: 10.40.0.11\n", ""))
case("invalid-choice-strategy", ["MG0104"], ("        paths: [/srv/compose/wiki]\n", "        paths: [/srv/compose/wiki]\n        strategy: scp\n"))
case("storage-nfs-and-local", ["MG0105"], ("      mountOptions: [nfsvers=4.1, hard, noatime]\n",
                                           "      mountOptions: [nfsvers=4.1, hard, noatime]\n    local:\n      path: /var/lib/restic\n      node: node-1\n"))
case("extends-missing-base", ["MG0004"], prepend="extends: _missing.yaml\n")

# ---- YAML 1.1 traps ----------------------------------------------------------------------------
case("yaml11-boolean-user", ["MG0180"], ("    user: backup\n    hostKeys:\n      - ssh-ed25519", "    user: no\n    hostKeys:\n      - ssh-ed25519"))
case("yaml11-boolean-service", ["MG0180"], ("          stopServices: [gitea]\n", "          stopServices: [gitea, on]\n"))
case("yaml11-number-image-tag", ["MG0181"], ('  tag: "1.4.2"\n', "  tag: 1.10\n"))
case("yaml11-number-revision", ["MG0181"], ("  targetRevision: main\n", "  targetRevision: 2.0\n"))

# ---- placeholders (production mistake: unreplaced placeholders) --------------------------------
case("placeholder-nfs-server", ["MG0201"], ("server: nas01.storage.example.org", "server: ${NFS_SERVER}"))
case("placeholder-mustache-repo-url", ["MG0201"], ("https://git.example.org/platform/", "https://git.example.org/{{ .Values.group }}/"))
case("placeholder-angle-host-key", ["MG0201", "MG0702"], (HOSTKEY1, "      - ssh-ed25519 <HOST_KEY_KVM_PROD_01>\n"))
case("placeholder-changeme-secret", ["MG0201"], ("    name: restic-repository\n", "    name: changeme\n"))
case("placeholder-in-hook-command", ["MG0201"], ("pg_dump -U nextcloud", "pg_dump -U REPLACE_ME"))
case("placeholder-todo-path", ["MG0201"], ("paths: [/srv/compose/vaultwarden/data]", "paths: [/srv/compose/TODO/data]"))
case("placeholder-custom-marker", ["MG0201"], ("    address: kvm-prod-02.example.org\n", "    address: kvm-XXX.example.org\n"),
     prepend="placeholders: [XXX]\n")
case("placeholder-storage-class", ["MG0201"], ("  storageClassName: manifestgen-static\n", "  storageClassName: <STORAGE_CLASS>\n"))
case("placeholder-your-angle", ["MG0201"], ("server: nas01.storage.example.org", "server: <your-nas-host>"))
case("placeholder-xxx", ["MG0201"], ("    user: backup\n    hostKeys:\n      - ssh-ed25519", "    user: xxx\n    hostKeys:\n      - ssh-ed25519"))
case("placeholder-percent-variable", ["MG0201"], ("server: nas01.storage.example.org", "server: \"%NAS_SERVER%\""))
case("placeholder-dollar-variable-outside-hook", ["MG0201"], ("server: nas01.storage.example.org", "server: $NAS_SERVER"))
case("placeholder-in-base-file", ["MG0201"], text="extends: _base.yaml\n",
     files={"_base.yaml": BASE.replace("  cacheSize: 4Gi\n", "  cacheSize: ${CACHE_SIZE}\n")})

# ---- secrets ------------------------------------------------------------------------------------
case("private-key-as-host-key", ["MG0202"], (HOSTKEY1, "      - |\n        -----BEGIN OPENSSH PRIVATE KEY-----\n        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n        -----END OPENSSH PRIVATE KEY-----\n"))
case("literal-password-in-hook", ["MG0203"], ("docker compose -f /srv/compose/nextcloud/compose.yaml exec -T db pg_dump -U nextcloud -Fc -f /backup/nextcloud.dump nextcloud",
                                              "docker compose -f /srv/compose/nextcloud/compose.yaml exec -T db mysqldump -u nextcloud -pS3cretPassw0rd nextcloud"))
case("literal-password-in-url", ["MG0203"], ("repoURL: https://git.example.org/", "repoURL: https://deploy:hunter2@git.example.org/"))
case("sealed-plain-value", ["MG0203"], append=sealed(password="hunter2"))
case("sealed-secret-missing", ["MG0204"], append=sealed(ssh_keys=False))
case("external-without-store", ["MG0204"], append="\nsecrets:\n  mode: external\n")

# ---- names ----------------------------------------------------------------------------------------
case("name-upper-case-app", ["MG0301"], ("      - name: nextcloud\n", "      - name: NextCloud\n"))
case("name-underscore-host", ["MG0301"], ("  - name: kvm-prod-02\n", "  - name: kvm_prod_02\n"))
case("name-invalid-namespace", ["MG0301"], ("namespace: backup\n", "namespace: backup.prod\n"))
case("name-duplicate-host", ["MG0305"], ("  - name: kvm-prod-02\n", "  - name: kvm-prod-01\n"))
case("name-duplicate-app", ["MG0305"], ("      - name: wiki\n", "      - name: gitea\n"))
case("name-cronjob-shortened", ["MG0302"], ("      - name: wiki\n", "      - name: internal-documentation-wiki-for-platform\n"))
case("name-derived-collision", ["MG0303"], ("  - name: kvm-prod-02\n", "  - name: kvm-prod\n"), ("      - name: gitea\n", "      - name: 01-nextcloud\n"))
case("name-tag-with-space", ["MG0304"], ("        tags: [tier-1]\n        retention", '        tags: ["tier 1", tier-1]\n        retention'))

# ---- schedules ------------------------------------------------------------------------------------
case("cron-day-of-week-7", ["MG0405"], (DAILY, '  schedule: "0 2 * * 7"\n'))
case("cron-seconds-field", ["MG0403"], (DAILY, '  schedule: "0 0 2 * * *"\n'))
case("cron-quartz-last-day", ["MG0404"], (DAILY, '  schedule: "0 2 L * *"\n'))
case("cron-tz-prefix", ["MG0402"], (DAILY, '  schedule: "CRON_TZ=Europe/Berlin 0 2 * * *"\n'))
case("cron-hour-24", ["MG0401"], (VW_SCHED, 'schedule: "0 24 * * *"'))
case("cron-unknown-day-name", ["MG0401"], ('    schedule: "H H(6-20) * * 0"\n', '    schedule: "30 4 * * sunday"\n'))
case("cron-h-in-day-of-month", ["MG0401"], (VW_SCHED, 'schedule: "0 2 H * *"'))
case("cron-every-bad-duration", ["MG0401"], (VW_SCHED, 'schedule: "@every 1d"'))
case("time-zone-misspelt", ["MG0406"], ("  timeZone: Europe/Berlin\n", "  timeZone: Europe/Berlim\n"))
case("time-zone-abbreviation", ["MG0406"], ("        activeDeadlineSeconds: 1800\n", "        activeDeadlineSeconds: 1800\n        timeZone: CEST\n"))
case("cron-step-covers-range", ["MG0407"], (VW_SCHED, 'schedule: "15 */24 * * *"'))
case("deadline-exceeds-interval", ["MG0408"], ("        activeDeadlineSeconds: 1800\n", "        activeDeadlineSeconds: 25000\n"))
case("maintenance-overlaps-backup", ["MG0409"], ('    schedule: "H H(6-20) * * 0"\n', '    schedule: "30 1 * * 0"\n'))
# Hundreds of overlapping jobs would make one unreadable line: the message names ten and counts the rest.
case("maintenance-overlaps-many-backups", ["MG0409"], ('    schedule: "H H(6-20) * * 0"\n', '    schedule: "30 1 * * 0"\n'),
     ("      - name: wiki\n", "".join(f"      - name: app{i:02d}\n        paths: [/srv/compose/app{i:02d}]\n" for i in range(12)) + "      - name: wiki\n"))
case("schedule-never-runs", ["MG0410"], (VW_SCHED, 'schedule: "0 2 30 2 *"'))

# ---- storage (production mistakes: NFS target directory, StorageClass) -------------------------
case("nfs-path-outside-export-root", ["MG0508"], ("path: /volume1/k8s-backup/restic/production", "path: /volume2/restic/production"))
case("nfs-path-missing", ["MG0103"], ("      path: /volume1/k8s-backup/restic/production\n", ""))
case("nfs-path-relative", ["MG0507"], ("path: /volume1/k8s-backup/restic/production", "path: volume1/k8s-backup/restic/production"))
case("nfs-path-dot-dot", ["MG0507", "MG0508"], ("path: /volume1/k8s-backup/restic/production", "path: /volume1/k8s-backup/../restic/production"))
case("nfs-export-root-trailing-slash", ["MG0507"], ("exportRoot: /volume1/k8s-backup\n", "exportRoot: /volume1/k8s-backup/\n"))
case("nfs-server-empty", ["MG0506"], ("server: nas01.storage.example.org", 'server: ""'))
case("nfs-server-url", ["MG0506"], ("server: nas01.storage.example.org", "server: nfs://nas01.storage.example.org/volume1"))
case("nfs-mount-option-soft", ["MG0510"], ("[nfsvers=4.1, hard, noatime]", "[nfsvers=4.1, soft, noatime]"))
case("nfs-mount-option-unknown-version", ["MG0510"], ("[nfsvers=4.1, hard, noatime]", "[nfsvers=5, hard, noatime]"))
case("nfs-same-path-two-environments", ["MG0509"], files={"staging.yaml": BASE.replace("namespace: backup\n", "namespace: backup-staging\n")})
case("nfs-nested-path-two-environments", ["MG0509"], files={"staging.yaml": BASE.replace("namespace: backup\n", "namespace: backup-staging\n").replace(
    "path: /volume1/k8s-backup/restic/production", "path: /volume1/k8s-backup/restic/production/staging")})
case("local-volume-without-node", ["MG0511"], ("    nfs:\n      server: nas01.storage.example.org\n      exportRoot: /volume1/k8s-backup\n      path: /volume1/k8s-backup/restic/production\n      mountOptions: [nfsvers=4.1, hard, noatime]\n",
                                                '    local:\n      path: /var/lib/manifestgen/restic\n      node: ""\n'))
case("access-mode-abbreviated", ["MG0504"], ("accessModes: [ReadWriteMany]", "accessModes: [RWX]"))
case("access-mode-single-pod", ["MG0513"], ("accessModes: [ReadWriteMany]", "accessModes: [ReadWriteOncePod]"))
case("capacity-unit-gb", ["MG0505"], ("  capacity: 2Ti\n", "  capacity: 2TB\n"))
case("capacity-decimal-unit", ["MG0512"], ("  capacity: 2Ti\n", "  capacity: 2T\n"))
case("memory-unit-lower-case", ["MG0505"], ("requests: { cpu: 100m, memory: 256Mi }", "requests: { cpu: 100m, memory: 256mi }"))
case("request-above-limit", ["MG0514"], ("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 2500m, memory: 512Mi }"))
case("storage-class-missing", ["MG0103"], ("  storageClassName: manifestgen-static\n", ""))
case("storage-class-invalid", ["MG0301"], ("  storageClassName: manifestgen-static\n", "  storageClassName: Manifestgen_Static\n"))

# ---- repository and retention -------------------------------------------------------------------
case("retention-no-keep-rule", ["MG0601"], ("          daily: 14\n          weekly: 8\n          tags: [tier-1]\n", "          tags: [tier-1]\n"))
case("retention-keep-tag-not-set", ["MG0602"], ("          tags: [tier-1]\n", "          tags: [tier-2]\n"))
case("read-data-subset-percent", ["MG0603"], ("readDataSubset: 5%", "readDataSubset: 150%"))
case("read-data-subset-fraction", ["MG0603"], ("readDataSubset: 5%", "readDataSubset: 0/7"))
case("keep-count-negative", ["MG0604"], ("    weekly: 5\n", "    weekly: -3\n"))
SERVER = "  server: { htpasswdSecret: { name: restic-rest-server } }\n"
case("repository-not-append-only", ["MG0606"], (SERVER, "\n"))
case("rest-server-privileged-port", ["MG0607"], (SERVER, "  server: { htpasswdSecret: { name: restic-rest-server }, port: 80 }\n"))
case("rest-server-name-starts-with-digit", ["MG0608"], ("  name: restic\n", "  name: 2restic\n"))
case("pushgateway-url-without-scheme", ["MG0605"], ("\nmaintenance:\n", "\nreporting:\n  pushgatewayUrl: pushgateway:9091\nnetworkPolicy:\n  pushgateway: { namespace: monitoring, port: 9091 }\nmaintenance:\n"))
case("keep-within-words", ["MG0604"], ("    monthly: 12\n", "    monthly: 12\n    within: 30 days\n"))

# ---- offsite copies (repository.copies) ------------------------------------------------------------
COPY_URL = "https://203.0.113.20:8000/cluster-a/"
COPY_SECRETS = "      credentials: { passwordSecret: { name: restic-offsite }, accessSecret: { name: restic-offsite-access } }\n"


def copy(name="offsite", location=f"rest: {{ url: \"{COPY_URL}\" }}", secrets=COPY_SECRETS, more=""):
    """One entry of repository.copies (a list item under `  copies:`)."""
    # An hour's deadline: the base backs vaultwarden up every six hours, and the default six hours meet it.
    return f"    - name: {name}\n      location: {{ {location} }}\n" + secrets + "      activeDeadlineSeconds: 3600\n" + more


def copies(*entries):
    """The base's server line followed by repository.copies with these entries."""
    return (SERVER, SERVER + "  copies:\n" + "".join(entries))


# The copy keeps at least the strictest app policy of the base (daily 14, weekly 8, monthly 12, tier-1).
COPY_KEEPS = "      retention: { daily: 14, weekly: 8, monthly: 12, tags: [tier-1] }\n"
case("copy-name-duplicate", ["MG1101"], copies(copy(), copy(secrets=COPY_SECRETS.replace("restic-offsite", "restic-offsite2"))))
case("copy-shares-primary-password", ["MG1102"], copies(copy(secrets=COPY_SECRETS.replace("{ name: restic-offsite }", "{ name: restic-repository }"))))
case("copy-access-is-host-ssh-key", ["MG1102"], copies(copy(secrets=COPY_SECRETS.replace("restic-offsite-access", "ssh-kvm-prod-01"))))
case("copy-dns-name-without-egress", ["MG1103"], copies(copy(location='rest: { url: "https://offsite.example.net:8000/cluster-a/" }')))
case("copy-address-outside-egress", ["MG1103"], copies(copy(more="      egressCidrs: [198.51.100.0/24]\n")))
case("copy-egress-not-a-range", ["MG0716"], copies(copy(more="      egressCidrs: [203.0.113.20/24]\n")))
case("copy-retention-keeps-less", ["MG1104"], copies(copy(more="      retention: { daily: 7, weekly: 8, monthly: 12, tags: [tier-1] }\n")))
case("copy-retention-without-keep-tag", ["MG1104"], copies(copy(more="      retention: { daily: 14, weekly: 8, monthly: 12 }\n")))
case("copy-retention-keeps-nothing", ["MG0601", "MG1104"], copies(copy(more="      retention: { tags: [tier-1] }\n")))
case("copy-schedule-meets-backups", ["MG1105"], copies(copy(more='      schedule: "30 2 * * *"\n')))
case("copy-schedule-meets-maintenance", ["MG1105"], copies(copy(more='      schedule: "0 5 * * 3"\n')))
case("copy-check-meets-copy", ["MG1105"], copies(copy(more='      schedule: "0 12 * * *"\n      check: { schedule: "30 12 * * 5" }\n')))
case("copy-url-without-trailing-slash", ["MG1106"], copies(copy(location='rest: { url: "https://203.0.113.20:8000/cluster-a" }')))
case("copy-url-without-path", ["MG1106"], copies(copy(location='rest: { url: "https://203.0.113.20:8000/" }')))
case("copy-url-with-user", ["MG1106"], copies(copy(location='rest: { url: "https://cluster-a@203.0.113.20:8000/cluster-a/" }')))
case("copy-url-not-http", ["MG1106"], copies(copy(location='rest: { url: "sftp://203.0.113.20/cluster-a/" }')))
case("copy-s3-bucket-invalid", ["MG1106", "MG1107"], copies(copy(location='s3: { endpoint: "https://203.0.113.30", bucket: Offsite_Backups }')))
case("copy-rest-not-append-only", ["MG1107"], copies(copy(location=f'rest: {{ url: "{COPY_URL}", appendOnly: false }}')))
case("copy-is-primary-server", ["MG1108"], copies(copy(location='rest: { url: "http://restic-rest-server.backup.svc:8000/cluster-a/" }',
                                                       more="      egressCidrs: [10.96.0.0/12]\n")))
case("copy-check-subsets-zero", ["MG1109"], copies(copy(more="      check: { subsets: 0 }\n")))
# A weekly check with N a multiple of 7 reads the same subset every week (n = day number mod N + 1).
case("copy-check-weekly-subsets-multiple-of-7", ["MG1110"], copies(copy(more=COPY_KEEPS + "      check: { schedule: \"H H * * 0\", subsets: 14 }\n")))
case("copy-location-rest-and-s3", ["MG0105"], copies(copy(location=f'rest: {{ url: "{COPY_URL}" }}, s3: {{ endpoint: "https://203.0.113.30", bucket: offsite }}')))
case("copy-name-not-a-label", ["MG0301"], copies(copy(name="Offsite_1")))
case("copy-password-not-sealed", ["MG0204"], copies(copy()), append=sealed())

# ---- SSH and paths --------------------------------------------------------------------------------
case("host-key-missing", ["MG0701"], ("    hostKeys:\n" + HOSTKEY1, ""))
case("host-key-type-mismatch", ["MG0702"], (HOSTKEY1, "      - ssh-rsa " + ED25519 + "\n"))
case("host-key-truncated", ["MG0702"], (HOSTKEY1, "      - ssh-ed25519 " + ED25519[:40] + "\n"))
case("host-key-with-host-name", ["MG0702"], (HOSTKEY1, "      - 10.40.0.11 ssh-ed25519 " + ED25519 + "\n"))
case("host-key-weak-rsa", ["MG0709"], (HOSTKEY1, HOSTKEY1 + "      - " + WEAK_RSA + "\n"))
case("port-out-of-range", ["MG0704"], ("    port: 2222\n", "    port: 70000\n"))
case("port-zero", ["MG0704"], ("    port: 2222\n", "    port: 0\n"))
case("user-root", ["MG0705"], ("    user: backup\n    hostKeys:\n      - ecdsa", "    user: root\n    hostKeys:\n      - ecdsa"))
case("address-with-scheme", ["MG0711"], ("    address: 10.40.0.11\n", "    address: ssh://10.40.0.11:22\n"))
case("path-relative", ["MG0706"], ("paths: [/srv/compose/gitea]", "paths: [srv/compose/gitea]"))
case("path-dot-dot", ["MG0706"], ("paths: [/srv/compose/gitea]", "paths: [/srv/compose/wiki/../gitea]"))
case("compose-directory-trailing-slash", ["MG0706"], ("composeDirectory: /srv/compose/gitea\n", "composeDirectory: /srv/compose/gitea/\n"))
case("exclude-unclosed-bracket", ["MG0707"], ('"*.part"', '"[*.part"'))
case("exclude-outside-app-paths", ["MG0710"], ('"*.part"', '"/srv/compose/gitea/cache"'))
case("same-path-two-apps", ["MG0708"], ("paths: [/srv/compose/gitea]", "paths: [/srv/compose/wiki]"))
case("nested-path-two-apps", ["MG0708"], ("paths: [/srv/compose/vaultwarden/data]", "paths: [/srv/compose/nextcloud/vaultwarden]"))
case("sshfs-without-privileged", ["MG0712", "MG0714"], ("        paths: [/srv/compose/wiki]\n", "        paths: [/srv/compose/wiki]\n        strategy: sshfs\n"))
case("sshfs-privileged-costs", ["MG0714"], ("        paths: [/srv/compose/wiki]\n", "        paths: [/srv/compose/wiki]\n        strategy: sshfs\n        privileged: true\n"))
case("host-name-without-egress-cidrs", ["MG0715"], ("    egressCidrs: [10.40.0.12/32]\n", ""))
case("egress-cidr-host-bits", ["MG0716"], ("egressCidrs: [10.40.0.12/32]", "egressCidrs: [10.40.0.12/24]"))
case("pushgateway-without-network-peer", ["MG0715"], append="\nreporting:\n  pushgatewayUrl: http://pushgateway.monitoring.svc:9091\n")
case("ping-secret-key-and-per-job", ["MG0609"], append="\nreporting:\n  pingUrlSecret: { name: healthchecks-ping, key: url, perJob: true }\nnetworkPolicy:\n  ping: { cidrs: [192.0.2.80/28], port: 443 }\n")
case("privileged-for-rsync", ["MG0713"], ("          composeDirectory: /srv/compose/gitea\n", "          composeDirectory: /srv/compose/gitea\n        privileged: true\n"))

# ---- the host gate (base-valid's wiki app uses sshfs: every gated case also warns MG0732) --------
GATE = "hostGate:\n  sourceRanges: [10.40.8.0/24]\n"
case("gate-source-range-not-canonical", ["MG0730"], prepend="hostGate:\n  sourceRanges: [10.40.8.1/24]\n")
case("gate-path-with-space", ["MG0731"], ("        paths: [/srv/compose/gitea]\n", "        paths: [\"/srv/compose/gitea data\"]\n"), prepend=GATE)
case("gate-sshfs-unconfined", ["MG0714", "MG0732", "MG0734"], ("        paths: [/srv/compose/gitea]\n", "        paths: [/srv/compose/gitea]\n        strategy: sshfs\n        privileged: true\n"),
     ("      name: ssh-kvm-prod-02\n", "      name: ssh-kvm-prod-02\n    gateSandbox: false\n"), prepend=GATE)
case("gate-unsandboxed", ["MG0734"], ("      name: ssh-kvm-prod-01\n", "      name: ssh-kvm-prod-01\n    gateSandbox: false\n"), prepend=GATE)
case("gate-hook-output-not-plain", ["MG0731"], ("          stopServices: [gitea]\n", "          before:\n            - run: gitea dump --file /srv/compose/gitea/dump.zip\n              writes: [\"/srv/compose/gitea/dump $(date).zip\"]\n          stopServices: [gitea]\n"), prepend=GATE)
case("switch-delay-out-of-range", ["MG0414"], ("          stopServices: [gitea]\n", "          stopServices: [gitea]\n          switchDelayMinutes: 0\n"))
case("services-kept-running", ["MG0415"], ("          stopServices: [gitea]\n", "          stopServices: [gitea]\n          keepServicesRunning: true\n"))
case("gate-restore-key-is-backup-key", ["MG0733"], ("      name: ssh-kvm-prod-01\n",
     "      name: ssh-kvm-prod-01\n    backupPublicKey: ssh-ed25519 " + ED25519 + "\n    restorePublicKey: ssh-ed25519 " + ED25519 + "\n"))

# ---- coverage ---------------------------------------------------------------------------------------
case("coverage-without-gate", ["MG1150"], ("      name: ssh-kvm-prod-01\n", "      name: ssh-kvm-prod-01\n    coverage: true\n"))
case("coverage-without-backup-key", ["MG1151"], ("      name: ssh-kvm-prod-01\n", "      name: ssh-kvm-prod-01\n    coverage: true\n"), prepend=GATE)
COVERED = "      name: ssh-kvm-prod-01\n    backupPublicKey: ssh-ed25519 " + ED25519 + "\n    coverage: true\n"
case("coverage-without-apps", ["MG1153"], prepend=GATE, append="  - name: kvm-prod-03\n    address: 10.40.0.13\n    user: backup\n"
     "    hostKeys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp]\n"
     "    sshKeySecret: { name: ssh-kvm-prod-03 }\n    backupPublicKey: ssh-ed25519 " + ED25519 + "\n    coverage: true\n    apps: []\n")
# The host's backups fill every hour (an hourly job of 50 minutes and one of 15 from :50): no 15 free minutes for the discovery.
case("coverage-no-free-time", ["MG0409", "MG1152"], ("      name: ssh-kvm-prod-01\n", COVERED),
     (VW_SCHED, 'schedule: "50 * * * *"'), ("        activeDeadlineSeconds: 1800\n", "        activeDeadlineSeconds: 900\n"),
     ('        schedule: "H(0-30) 1 * * *"\n', '        schedule: "0 * * * *"\n        activeDeadlineSeconds: 3000\n'), prepend=GATE)

# ---- image ----------------------------------------------------------------------------------------
DIGEST_LINE = "  digest: sha256:5f0d3c1e8a9b7d6c4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d\n"
case("image-latest", ["MG0801"], ('  tag: "1.4.2"\n' + DIGEST_LINE, "  tag: latest\n"))
case("image-no-tag", ["MG0802"], ('  tag: "1.4.2"\n' + DIGEST_LINE, ""))
case("image-no-digest", ["MG0803"], (DIGEST_LINE, ""))
case("image-short-digest", ["MG0804"], (DIGEST_LINE, "  digest: sha256:5f0d3c1e\n"))
case("image-repository-upper-case", ["MG0804"], ("registry.example.org/platform/manifestgen-runner", "registry.example.org/Platform/ManifestGen-Runner"))
case("image-tag-in-repository", ["MG0804"], ("registry.example.org/platform/manifestgen-runner\n", "registry.example.org/platform/manifestgen-runner:1.4.2\n"))
case("image-pull-policy-lower-case", ["MG0805"], ('  tag: "1.4.2"\n', '  tag: "1.4.2"\n  pullPolicy: always\n'))


# ---- what the runner refuses in its job configuration (MG0912: the runner's own check, run by the generator)
NC_HOOK = "              timeoutSeconds: 1800\n"
NC_DUMP = NC_HOOK + "          dumps:\n            - name: db\n              command: docker compose -f /srv/compose/nextcloud/compose.yaml exec -T db pg_dump -U nextcloud nextcloud\n"
case("runner-hook-timeout-zero", ["MG0912"], (NC_HOOK, "              timeoutSeconds: 0\n"))
case("runner-dump-file-name-with-folder", ["MG0912"], (NC_HOOK, NC_DUMP + "              fileName: dumps/nextcloud.sql\n"))
case("runner-request-timeout-zero", ["MG0912"], ("    address: 10.40.0.11\n    user: backup\n", "    address: 10.40.0.11\n    user: backup\n    requestTimeoutSeconds: 0\n"))
case("runner-dump-names-twice", ["MG0912"], (NC_HOOK, NC_DUMP + "              fileName: nextcloud.sql\n"
                                                    "            - name: db\n              command: cat /srv/compose/nextcloud/config.php\n              fileName: config.php\n"))


# ---- what the API server or Argo CD refuses in a rendered object (MG0913: the ported validation) --------
GITOPS_PATH = "  path: out/production/manifests\n"
case("argocd-path-absolute", ["MG0913"], (GITOPS_PATH, "  path: /out/production/manifests\n"))
case("argocd-path-outside-repository", ["MG0913"], (GITOPS_PATH, "  path: ../other-repo/manifests\n"))
case("argocd-repo-url-without-scheme", ["MG0913"], ("repoURL: https://git.example.org/", "repoURL: git.example.org/"))
case("argocd-project-name", ["MG0913"], ("    project: platform\n", "    project: Platform_Team\n"))
case("argocd-target-revision-space", ["MG0913"], ("  targetRevision: main\n", '  targetRevision: "release 1"\n'))
# The inventory's path names the output folder of environment production, which exists next to it.
case("argocd-path-other-environment", ["MG0913"], files={"production.yaml": BASE.replace("/volume1/k8s-backup/restic/production", "/volume1/k8s-backup/restic/prod")})


# ---- text that looks right and is not: invisible and look-alike characters (named by code point) -
case("unicode-zero-width-space-in-address", ["MG0006"], ("    address: 10.40.0.11\n", "    address: 10.40.0\u200b.11\n"))
case("unicode-cyrillic-letter-in-app-name", ["MG0006"], ("      - name: gitea\n", "      - name: git\u0435a\n"))
case("unicode-greek-letter-in-host-name", ["MG0006"], ("    address: kvm-prod-02.example.org\n", "    address: kvm-pr\u03bfd-02.example.org\n"))
case("unicode-no-break-space-in-path", ["MG0006"], ("        paths: [/srv/compose/wiki]\n", "        paths: [/srv/compose/my\u00a0wiki]\n"))
case("unicode-zero-width-space-in-key", ["MG0006", "MG0101"], (DAILY, '  sche\u200bdule: "0 2 * * *"\n'))
case("unicode-cyrillic-letter-in-key", ["MG0006", "MG0101"], ("  cacheSize: 4Gi\n", "  c\u0430cheSize: 4Gi\n"))
case("unicode-bidi-override-in-hook", ["MG0006"], ("pg_dump -U nextcloud", "pg_dump -U \u202enextcloud"))
case("unicode-byte-order-mark-inside", ["MG0006"], ("    name: restic-repository\n", "    name: \ufeffrestic-repository\n"))
case("unicode-soft-hyphen-in-secret-name", ["MG0006"], ("      name: ssh-kvm-prod-01\n", "      name: ssh-kvm-\u00adprod-01\n"))
case("unicode-en-dash-option-in-hook", ["MG0006"], ("pg_dump -U nextcloud -Fc", "pg_dump -U nextcloud \u2013Fc"))

# ---- YAML syntax errors at the line and column of the mistake ---------------------------------
case("yaml-tab-in-indentation", ["MG0002"], ("    port: 2222\n", "\tport: 2222\n"))
case("yaml-unclosed-double-quote", ["MG0002"], ('  tag: "1.4.2"\n', '  tag: "1.4.2\n'))
case("yaml-unclosed-single-quote", ["MG0002"], ("  capacity: 2Ti\n", "  capacity: '2Ti\n"))
case("yaml-missing-space-after-colon", ["MG0002"], ("  capacity: 2Ti\n", "  capacity:2Ti\n"))
case("yaml-bad-indentation", ["MG0002"], ("  capacity: 2Ti\n", "   capacity: 2Ti\n"))
case("yaml-no-break-space-after-colon", ["MG0002"], ("  capacity: 2Ti\n", "  capacity:\u00a02Ti\n"))
case("yaml-list-item-without-space", ["MG0102"], (HOSTKEY1, "      -ssh-ed25519 " + ED25519 + "\n"))

# ---- quantities, durations and timeouts that mean something other than written -----------------
case("mirror-size-without-unit", ["MG0515"], ("  mirrorSize: 50Gi\n", "  mirrorSize: 5\n"))
case("cache-size-without-unit", ["MG0515"], ("  cacheSize: 4Gi\n", "  cacheSize: 500\n"))
case("capacity-without-unit", ["MG0515"], ("  capacity: 2Ti\n", "  capacity: 2\n"))
case("memory-in-milli", ["MG0515"], ("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 250m, memory: 512m }"))
case("cpu-in-whole-cores", ["MG0515"], ("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 250, memory: 512Mi }"))
case("hook-timeout-beyond-deadline", ["MG0411"], ("              timeoutSeconds: 1800\n", "              timeoutSeconds: 7200\n"))
case("hooks-outlast-deadline", ["MG0412"], ("""            - sqlite3 /srv/compose/vaultwarden/data/db.sqlite3 ".backup '/srv/compose/vaultwarden/data/db-backup.sqlite3'"\n""",
                                             """            - run: sqlite3 /srv/compose/vaultwarden/data/db.sqlite3 ".backup '/srv/compose/vaultwarden/data/db-backup.sqlite3'"\n              timeoutSeconds: 1200\n          after:\n            - run: rm /srv/compose/vaultwarden/data/db-backup.sqlite3\n"""))
case("exclude-star-removes-app", ["MG0717"], ('excludes: [/srv/compose/nextcloud/data/*/cache, "*.part"]', 'excludes: ["*"]'))
case("exclude-parent-folder", ["MG0717"], ('excludes: [/srv/compose/nextcloud/data/*/cache, "*.part"]', "excludes: [/srv/compose]"))
case("exclude-relative-name-of-app-folder", ["MG0717"], ('excludes: [/srv/compose/nextcloud/data/*/cache, "*.part"]', "excludes: [compose]"))
# One repository for every host (no REST server, which gives each host its own): forget and prune share its lock.
case("maintenance-forget-jobs-same-minute", ["MG0413"], ('    schedule: "H H(6-20) * * 0"\n', '    schedule: "30 4 * * 0"\n'), (SERVER, "\n"))

# ---- what a setting does at run time (docs/settings.md): values that make it do nothing or fail ----
case("retention-keep-tag-dump-without-dumps", ["MG0602"], ("          tags: [tier-1]\n", "          tags: [dump]\n"))
case("starting-deadline-under-controller-pass", ["MG0416"], ("  activeDeadlineSeconds: 7200\n", "  activeDeadlineSeconds: 7200\n  startingDeadlineSeconds: 5\n"))
case("strategy-setting-not-read", ["MG0718"], ("        paths: [/srv/compose/gitea]\n", "        paths: [/srv/compose/gitea]\n        strategy: tar\n        transferTimeoutSeconds: 60\n"))
CHECK_END = "    readDataSubset: 5%\n    activeDeadlineSeconds: 3600\n"
case("drill-sample-zero", ["MG0610"], (CHECK_END, CHECK_END + "  drill:\n    enabled: true\n    sampleFiles: 0\n"))
# A value written in a base file is reported there, naming the environment file that inherits it.
case("base-file-backoff-limit", ["MG0913"], text="extends: _base.yaml\n",
     files={"_base.yaml": BASE.replace("  activeDeadlineSeconds: 7200\n", "  activeDeadlineSeconds: 7200\n  backoffLimit: -1\n")})

# ---- valid near misses: each must produce no error and no warning ----------------------------
VALID = []


def valid(name, *edits, prepend="", append=""):
    VALID.append((name, [], edits, prepend, append, {}, None))


RSA_3072 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCndfb9oQlSJ3sBisDNZoalnuOFAz2/BKV50JZDZA6KiEwx5Z65t0RdQzMtOoPGVFTcgrfYZqnAM/qZ5PWkK+9W53RsEKmYULCTWgk+up6YYGjVTxOV6Ps9NPYfWNWUgsgzoY+jxknckbSnI3WzoaimKgOLBdJGaPVDwmEucFDdo3hxG/bEyxhGNLnrBOLu5KZdn2TTf4VvAvqWZ8OtOvR+xO6+3HAJ26zxmpPQ8iKyaWQUsGa9oSGZVa4nc8+KeWzakvoLVihkV9HSIFxFXbgOge8EkwkjITkKoVgOL6qBQicQVerrY02DD6xJ3oyBiJWRoHFVXtcnTUec46xvS8cCm5Jdyk/GbNtG3Zw3BLYJ67FkkqGQ4d77nFOZtRbamCK+N1xI9y3UcIDsCAaIWRtUBdqvC7L5VsxORMGJUlkJx+lVdOMsAMQeC/EqR+LzYxTsd5VEGzu+Mn3KUCiBYVIObIRnW/VJ6IGY6FQ5N9/o1zGyCFAW/LB5fObvb3cTzek="
# A host whose backups leave room: the coverage job is placed and nothing is reported.
valid("coverage-placed", ("      name: ssh-kvm-prod-01\n", COVERED), prepend=GATE)
valid("quoted-yaml11-words", ('  tag: "1.4.2"\n', '  tag: "1.10"\n'), ("          stopServices: [gitea]\n", '          stopServices: [gitea, "on"]\n'))
valid("cron-forms", (DAILY, '  schedule: "0 2 ? * sun-sat"\n'), (VW_SCHED, 'schedule: "5 1,13 * * MON-FRI"'))
valid("cron-h-forms", (VW_SCHED, 'schedule: "H 3,15 * * *"'), (DAILY, '  schedule: "H(0-29) H(0-2) * * *"' + "\n"))
valid("nfs-path-is-export-root", ("path: /volume1/k8s-backup/restic/production", "path: /volume1/k8s-backup"))
valid("exclude-patterns", ('"*.part"', '"**/cache/**", "!keep.part", "[a-z]*.tmp", "/srv/compose/nextcloud/data/*/thumbnails"'))
valid("host-key-rsa-3072", (HOSTKEY1, HOSTKEY1 + "      - " + RSA_3072 + "\n"))
valid("ipv6-address", ("    address: 10.40.0.11\n", '    address: "fd00:40::11"\n'))
valid("shell-variables-not-placeholders", ("pg_dump -U nextcloud -Fc -f /backup/nextcloud.dump nextcloud",
                                          'mysqldump -u backup -p"$MYSQL_PWD" nextcloud > "$HOME/todo-app/dump.sql"'))
valid("shell-expansions-in-hooks-not-placeholders", ("pg_dump -U nextcloud -Fc -f /backup/nextcloud.dump nextcloud",
                                                     'pg_dump -U "${PGUSER:-nextcloud}" -Fc -f "${BACKUP_DIR:-/backup}/nextcloud-$(date +%Y%m%d).dump" nextcloud'))
valid("retention-within-only", ("    daily: 7\n    weekly: 5\n    monthly: 12\n", "    within: 1y6m\n"))
valid("image-digest-only", ('  tag: "1.4.2"\n', ""))
valid("sealed-secrets-complete", append=sealed())
valid("non-latin-text-in-hooks-and-comments", ("    port: 2222\n", "    port: 2222  # Sicherung \u2013 \u00fcberwacht\n"),
      ("pg_dump -U nextcloud -Fc -f /backup/nextcloud.dump nextcloud", "pg_dump -U nextcloud -Fc -f /backup/nextcloud.dump nextcloud && echo '\u0420\u0435\u0437\u0435\u0440\u0432 \u2013 \u0433\u043e\u0442\u043e\u0432\u043e'"))
valid("sizes-with-units", ("  mirrorSize: 50Gi\n", "  mirrorSize: 1Mi\n"), ("requests: { cpu: 250m, memory: 512Mi }", "requests: { cpu: 1, memory: 536870912 }"))
valid("exclude-inside-app", ('excludes: [/srv/compose/nextcloud/data/*/cache, "*.part"]', 'excludes: [/srv/compose/nextcloud/data, "compose.override.yaml", "**/tmp"]'))
valid("yaml-tab-inside-block-text", ("              timeoutSeconds: 1800\n", "              timeoutSeconds: 1800\n            - run: |\n                printf 'a\\tb\\n'\n                \techo tabbed\n"))
# The runner tags every dump snapshot `dump`: a keep-tag the dumps carry keeps them.
valid("retention-keep-tag-dump", (NC_HOOK, NC_DUMP + "              fileName: nextcloud.sql\n"), ("          tags: [tier-1]\n", "          tags: [dump]\n"))
valid("starting-deadline-at-controller-pass", ("  activeDeadlineSeconds: 7200\n", "  activeDeadlineSeconds: 7200\n  startingDeadlineSeconds: 10\n"))
valid("strategy-setting-read", ("        paths: [/srv/compose/gitea]\n", "        paths: [/srv/compose/gitea]\n        transferTimeoutSeconds: 60\n"))
valid("copy-rest-append-only", copies(copy(more=COPY_KEEPS)))
valid("copy-check-weekly-subsets-coprime-to-7", copies(copy(more=COPY_KEEPS + "      check: { schedule: \"H H * * 0\", subsets: 12 }\n")))
valid("copy-dns-name-with-egress", copies(copy(location='rest: { url: "https://offsite.example.net:8000/cluster-a/" }', more="      egressCidrs: [203.0.113.16/28]\n" + COPY_KEEPS)))
valid("drill-sample-one", (CHECK_END, CHECK_END + "  drill:\n    enabled: true\n    sampleFiles: 1\n"))
valid("local-storage", ("    nfs:\n      server: nas01.storage.example.org\n      exportRoot: /volume1/k8s-backup\n      path: /volume1/k8s-backup/restic/production\n      mountOptions: [nfsvers=4.1, hard, noatime]\n",
                        "    local:\n      path: /var/lib/manifestgen/restic\n      node: lab-node-1\n"), ("accessModes: [ReadWriteMany]", "accessModes: [ReadWriteOnce]"))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else HERE
    write_cases(CASES, os.path.join(root, "invalid"))
    write_cases(VALID, os.path.join(root, "valid"))
    print(f"{len(CASES)} invalid cases, {len(VALID)} valid cases")


def write_cases(cases, out):
    names = set()
    for name, codes, edits, prepend, append, files, text in cases:
        if name in names:
            sys.exit(f"duplicate case {name}")
        names.add(name)
        content = BASE if text is None else text
        for old, new in edits:
            if content.count(old) != 1:
                sys.exit(f"{name}: expected exactly one {old!r}, found {content.count(old)}")
            content = content.replace(old, new)
        if prepend:
            lines = content.split("\n", 1)
            content = lines[0] + "\n" + prepend + lines[1]
        content += append
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        write(os.path.join(d, "inventory.yaml"), content)
        if codes:
            write(os.path.join(d, "codes"), "".join(c + "\n" for c in codes))
        for file, body in files.items():
            write(os.path.join(d, file), body)


def write(path, text):
    if os.path.exists(path) and open(path, encoding="utf-8").read() == text:
        return
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
