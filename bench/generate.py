#!/usr/bin/env python3
"""Writes the benchmark scenarios into scenarios/bench/ (run from anywhere).

    bench/generate.py            # every file
    bench/generate.py --check    # exit 1 if a file differs from what it would write

The clusters are Kubernetes' documented limits (parameters.md A: 5,000 nodes,
150,000 pods, 110 pods per node); nodes are 16 CPU / 64Gi with the image
cached, so image pulls play no part in what is measured.
"""
import pathlib
import sys

OUT = pathlib.Path(__file__).resolve().parent.parent / "scenarios" / "bench"

NODE = 'cpu: "16", memory: "64Gi", cached_images: ["app:1.0"]'
IMAGE = 'images: [Image(name: "app:1.0", layers: ["28.2MB", "16.6MB"])],'


def header(title, what, duration):
    """A Kubernetes bench scenario's opening: what it is, its name, seed, duration and budget."""
    return f"""// {title}
//
// {what}
// Written by bench/generate.py; run by bench/run.py.
Scenario(
    name: "{title}",
    seed: 1,
    duration: "{duration}",
    budget: Budget(events: 1e9, memory: "16Gi"),
"""


def schedule(nodes, deployments, replicas, name, title, duration="30m"):
    """`deployments` Deployments of `replicas` 250m / 512Mi pods created at 0 s."""
    pods = deployments * replicas
    apps = "\n".join(
        f'        App(name: "app-{i:04}", image: "app:1.0", cpu: "250m", memory: "512Mi"),' for i in range(deployments)
    )
    launches = "\n".join(
        f'            At("0s", Launch(app: "app-{i:04}", count: {replicas})),' for i in range(deployments)
    )
    what = (f"{pods:,} pods of 250m / 512Mi in {deployments:,} Deployments of {replicas}, created at 0 s,\n"
            f"// onto {nodes:,} nodes of 16 CPU / 64Gi that hold the image, with the default\n"
            "// scheduler profile (the adaptive percentageOfNodesToScore, parameters.md B1).")
    return name, header(title, what, duration) + f"""    hosts: [HostGroup(name: "node", count: {nodes}, {NODE})],
    {IMAGE}
    apps: [
{apps}
    ],
    worlds: [World(name: "K8s", platform: Kubernetes(), timeline: [
{launches}
    ])],
    expect: ["K8s.pods.running == {pods}", "K8s.pods.pending.max == {pods}"],
)
"""


def envelope(deployments=1000, nodes=5000, low=500, initial=600):
    """5,000 nodes, 1,000 Deployments behind Services with a day of diurnal load,
    each with an HPA, on a cluster autoscaler's node group: about 15,000 pods
    at night and 150,000 at the afternoon peak."""
    apps, services, actions = [], [], []
    for i in range(deployments):
        n = f"app-{i:04}"
        apps.append(f'        App(name: "{n}", image: "app:1.0", cpu: "500m", memory: "1Gi"),')
        services.append(
            f'        Service(name: "{n}", app: "{n}", load: Diurnal(min: 180, max: 1740, peak_at: "14h"),\n'
            f'                cost: Exponential(mean: "25ms"), slo_p95: "250ms"),'
        )
        actions.append(f'            At("0s", Launch(app: "{n}", count: 15)),')
        actions.append(
            f'            At("0s", Apply(HorizontalPodAutoscaler(name: "{n}", scaleTargetRef: "{n}", minReplicas: 2,\n'
            f'                                                   maxReplicas: 150, targetCPUUtilizationPercentage: 60))),'
        )
    nl = "\n"
    return "k8s-envelope.ron", f"""// Kubernetes' envelope: 5,000 nodes and 150,000 pods (parameters.md A).
//
// 1,000 Deployments of 500m / 1Gi pods, each behind a Service whose load
// follows the day from 180 to 1,740 requests a second (peak at 14:00), each
// request 25 ms of CPU (Exponential); an HPA per Deployment targets 60 % CPU
// (2 to 150 replicas) and the cluster autoscaler grows and shrinks one node
// group of 500 to 5,000 nodes (16 CPU / 64Gi) with its defaults
// (parameters.md B4, B5). About 15,000 pods serve the night, 150,000 the
// peak. Fluid traffic, 15 s ticks (the HPA's sync period).
// Written by bench/generate.py; run by bench/run.py.
Scenario(
    name: "Kubernetes envelope: 5,000 nodes, 150,000 pods, a diurnal day",
    seed: 1,
    duration: "1d",
    traffic: Fluid(tick: "15s"),
    budget: Budget(events: 7e9, memory: "16Gi"),
    hosts: [HostGroup(name: "node", count: {nodes}, {NODE})],
    {IMAGE}
    apps: [
{nl.join(apps)}
    ],
    services: [
{nl.join(services)}
    ],
    worlds: [
        World(name: "K8s", platform: Kubernetes(cluster_autoscaler: ClusterAutoscaler(
                  node_groups: [NodeGroup(hosts: "node", min: {low}, initial: {initial}, provisioning_time: Uniform(min: "35s", max: "125s"))])),
              timeline: [
{nl.join(actions)}
              ]),
    ],
    expect: [
        "K8s.pods.running >= 15000",
        "K8s.replicas.max >= 140000",
        "K8s.nodes.max >= 4500",
        "K8s.requests.dropped < K8s.requests.served / 100",
    ],
)
"""


def mmc(name, duration, title):
    return name, f"""// {title}
//
// M/M/4 behind one shared queue: Poisson arrivals at 36 a second, service
// Exponential with mean 100 ms (μ = 10/s per worker), so ρ = 0.9 and
// Erlang C gives P(wait) = 0.7463 and a mean wait of 0.196938 s. Every
// request is simulated. Written by bench/generate.py; run by bench/run.py.
Scenario(
    name: "{title}",
    seed: 3,
    duration: "{duration}",
    budget: Budget(events: 2e11, memory: "4Gi"),
    hosts: [HostGroup(name: "server", count: 1, cpu: "4", memory: "16Gi", cached_images: ["app:1.0"])],
    {IMAGE}
    apps: [App(name: "app", image: "app:1.0", cpu: "4", memory: "1Gi")],
    services: [
        Service(name: "mmc", app: "app", load: Constant(36), cost: Exponential(mean: "100ms"),
                routing: SharedQueue, timeout: "1h", slo_p95: "2s"),
    ],
    worlds: [World(name: "MMc", platform: Containers(), timeline: [At("0s", Launch(app: "app", count: 1))])],
    expect: [
        "MMc.wait.mean > 0.196938 * 0.99",
        "MMc.wait.mean < 0.196938 * 1.01",
    ],
)
"""


def diurnal(name, duration, tick, title):
    return name, f"""// {title}
//
// The shipped diurnal-day cluster (12 nodes, one Deployment with an HPA, the
// cluster autoscaler) run for {duration}, fluid traffic in {tick} ticks: memory
// must not grow with simulated time. Written by bench/generate.py.
Scenario(
    name: "{title}",
    seed: 8,
    duration: "{duration}",
    traffic: Fluid(tick: "{tick}"),
    budget: Budget(events: 2e10, memory: "2Gi"),
    hosts: [HostGroup(name: "pool", count: 12, cpu: "16", memory: "64Gi", cached_images: ["app:1.0"])],
    {IMAGE}
    apps: [App(name: "api", image: "app:1.0", cpu: "1", memory: "2Gi")],
    services: [
        Service(name: "api", app: "api", load: Diurnal(min: 150, max: 3000, peak_at: "14h"),
                cost: Exponential(mean: "25ms"), slo_p95: "250ms"),
    ],
    worlds: [
        World(name: "K8s", platform: Kubernetes(cluster_autoscaler: ClusterAutoscaler(
                  node_groups: [NodeGroup(hosts: "pool", min: 2, initial: 8, provisioning_time: Uniform(min: "35s", max: "125s"))])),
              timeline: [
                  At("0s", Launch(app: "api", count: 8)),
                  At("0s", Apply(HorizontalPodAutoscaler(name: "api", scaleTargetRef: "api", minReplicas: 4,
                                                         maxReplicas: 150, targetCPUUtilizationPercentage: 60))),
              ]),
    ],
    expect: ["K8s.requests.dropped < K8s.requests.served / 1000"],
)
"""


def deployment(name, replicas, template_extra=""):
    return (f'            At("0s", Apply(Deployment(name: "{name}", replicas: {replicas}, template: PodTemplate(\n'
            f'                labels: {{"app": "{name}"}}{template_extra},\n'
            f'                containers: [Container(name: "app", image: "app:1.0",\n'
            f'                    resources: Resources(requests: ResourceList(cpu: "250m", memory: "512Mi")))])))),')


def shape(name, title, what, hosts, timeline, pods, duration="30m", images=IMAGE):
    """150,000 pods of 250m / 512Mi on 5,000 nodes, in a shape other than schedule-150k's."""
    lines = "\n".join(timeline)
    return name, header(title, what, duration) + f"""    hosts: [
{hosts}
    ],
    {images}
    apps: [],
    worlds: [World(name: "K8s", platform: Kubernetes(), timeline: [
{lines}
    ])],
    expect: ["K8s.pods.running == {pods}"],
)
"""


def shapes(nodes=5000, deployments=1000, replicas=150):
    pods = deployments * replicas
    names = [f"app-{i:04}" for i in range(deployments)]
    one_group = f'        HostGroup(name: "node", count: {nodes}, {NODE}),'
    big = nodes * 2 // 5
    pools = (f'        HostGroup(name: "big", count: {big}, {NODE}, labels: {{"pool": "big"}}),\n'
             f'        HostGroup(name: "small", count: {nodes - big}, {NODE}, labels: {{"pool": "small"}}),')
    pool = lambda i: "big" if i % 2 == 0 else "small"
    yield shape(
        "shape-node-selector.ron", "Shape: 150,000 pods held to node pools by a nodeSelector",
        f"{deployments:,} Deployments of {replicas}, each with a nodeSelector to one of two node pools\n"
        f"// ({big:,} and {nodes - big:,} nodes): PodTopologySpread's default constraints count\n"
        "// each pod's spread over the nodes of its pool only.",
        pools, [deployment(n, replicas, f', nodeSelector: {{"pool": "{pool(i)}"}}') for i, n in enumerate(names)], pods)
    yield shape(
        "shape-rollout.ron", "Shape: one Deployment of 150,000 pods rolled out",
        f"One Deployment of {pods:,} pods on {nodes:,} nodes, its image changed at 15 min (a rolling\n"
        "// update with the default 25 % surge and unavailability).",
        f'        HostGroup(name: "node", count: {nodes}, cpu: "16", memory: "64Gi", cached_images: ["app:1.0", "app:2.0"]),',
        [deployment("app", pods), '            At("15m", SetImage(deployment: "app", image: "app:2.0")),'], pods,
        duration="1h",
        images='images: [Image(name: "app:1.0", layers: ["28.2MB", "16.6MB"]), Image(name: "app:2.0", layers: ["28.2MB", "17MB"])],')
    budgets = [f'            At("0s", Apply(PodDisruptionBudget(name: "{n}", selector: {{"app": "{n}"}}, minAvailable: "90%"))),'
               for n in names]
    drains = [f'            At("15m", Drain("node-{i}")),' for i in range(1, nodes + 1, 10)]
    yield shape(
        "shape-pdb-drain.ron", "Shape: 500 nodes drained under a PodDisruptionBudget per Deployment",
        f"{deployments:,} Deployments of {replicas}, each with a PodDisruptionBudget of minAvailable 90 %;\n"
        f"// at 15 min `kubectl drain` of every tenth node ({nodes // 10:,}), whose evictions the budgets pace.",
        one_group, [deployment(n, replicas) for n in names] + budgets + drains, pods, duration="45m")


def files():
    yield schedule(5000, 1000, 150, "schedule-150k.ron", "Scheduler: 150,000 pods onto 5,000 nodes")
    for nodes in (500, 1000, 2000, 5000):
        yield schedule(nodes, nodes // 10, 300, f"growth-nodes-{nodes}.ron",
                       f"Growth: {nodes * 30:,} pods onto {nodes:,} nodes")
    yield envelope()
    yield mmc("mmc.ron", "1000000s", "M/M/4 at 90 %: 36 million requests")
    for days in (1, 7, 30):
        yield mmc(f"mmc-{days}d.ron", f"{days}d", f"M/M/4 at 90 % for {days} d")
    for days in (1, 7, 30, 365):
        yield diurnal(f"diurnal-{days}d.ron", f"{days}d", "10s", f"Diurnal cluster for {days} d")
    yield from shapes()


def main():
    check = "--check" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, text in files():
        path = OUT / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("out of date (run bench/generate.py):", ", ".join(stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
