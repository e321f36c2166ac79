//! kube-scheduler's cache (`pkg/scheduler/backend/cache`): what the scheduler
//! knows of every node, kept up to date as the API server's watch events
//! arrive, so that a scheduling cycle reads it without walking the pods.
//!
//! Per node it keeps the node's labels, taints, cordon and allocatable
//! resources, the sums of the requests of the pods bound there
//! (`NodeInfo.Requested` and `NonZeroRequested`), the images present, and for
//! PodTopologySpread the pods it counts, grouped by their labels. Nodes in
//! the snapshot are the registered ones, in a fixed order; cluster-wide
//! figures (how many registered nodes have an image, how many matching pods
//! each topology domain holds) are kept with them. Every change bumps a
//! generation, so a result computed against the cache can tell when it is
//! still valid.

use std::collections::BTreeMap;

use super::{PodInfo, Resources};
use crate::model::kube::{Labels, Taint, TaintEffect, selector_matches};

/// No domain: the node lacks the topology key.
const NONE: u32 = u32::MAX;

/// A node as the scheduler sees it (`framework.NodeInfo`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeInfo {
    pub name: String,
    /// Including `kubernetes.io/hostname` and, when known, `topology.kubernetes.io/zone`.
    pub labels: Labels,
    pub taints: Vec<Taint>,
    /// `spec.unschedulable`: cordoned.
    pub unschedulable: bool,
    pub allocatable: Resources,
    /// The sum of the requests of the pods bound to the node (`pods` counts them).
    pub requested: Resources,
    /// The same with zero requests counted at the defaults.
    pub non_zero_requested: Resources,
    /// In the scheduler's snapshot: registered with the API server.
    pub registered: bool,
}

impl NodeInfo {
    /// A taint that keeps pods off (NoSchedule or NoExecute).
    fn has_hard_taint(&self) -> bool {
        self.taints.iter().any(|t| matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute))
    }

    fn has_prefer_taint(&self) -> bool {
        self.taints.iter().any(|t| t.effect == TaintEffect::PreferNoSchedule)
    }
}

/// A topology key in use by some spread constraint, and each node's domain under it.
#[derive(Clone, Debug)]
struct TopologyKey {
    name: String,
    /// Per node, its domain's index (`NONE` when it lacks the key).
    domain_of: Vec<u32>,
    values: Vec<String>,
    by_value: BTreeMap<String, u32>,
    /// Per domain, registered nodes in it.
    registered_nodes: Vec<u32>,
    /// Nodes, registered or not, that lack the key; domains holding more than one node.
    nodes_without: u32,
    shared_domains: u32,
    /// Per domain, nodes in it, registered or not.
    nodes: Vec<u32>,
}

impl TopologyKey {
    /// The domain of a new node with these labels, counted in.
    fn domain_for(&mut self, labels: &Labels) -> u32 {
        let Some(value) = labels.get(&self.name) else {
            self.nodes_without += 1;
            return NONE;
        };
        let d = match self.by_value.get(value) {
            Some(&d) => d,
            None => {
                let d = self.values.len() as u32;
                self.values.push(value.clone());
                self.by_value.insert(value.clone(), d);
                self.registered_nodes.push(0);
                self.nodes.push(0);
                d
            }
        };
        self.nodes[d as usize] += 1;
        if self.nodes[d as usize] == 2 {
            self.shared_domains += 1;
        }
        d
    }
}

/// Matching pods per domain, over registered nodes, for one (selector, key) pair.
#[derive(Clone, Debug)]
struct SpreadCounts {
    selector: u32,
    key: u32,
    /// 32 bits: a count per node for every workload's selector is most of
    /// the cache's memory in a cluster of many small workloads.
    per_domain: Vec<i32>,
}

#[derive(Clone, Debug)]
struct Selector {
    labels: Labels,
    /// Its (selector, key) pairs, as indices into `Spread::pairs`.
    pairs: Vec<u32>,
}

/// What PodTopologySpread counts: pods that are not terminating, by their
/// namespace and labels. A constraint's selector matches pods of the
/// constrained pod's namespace only (`countPodsMatchSelector` skips others).
#[derive(Clone, Debug, Default)]
struct Spread {
    labelsets: Vec<(String, Labels)>,
    by_labels: BTreeMap<(String, Labels), u32>,
    /// Per labelset, the selectors it matches, ascending.
    matching: Vec<Vec<u32>>,
    /// Per node, (labelset, pods) counted there.
    on_node: Vec<Vec<(u32, u32)>>,
    selectors: Vec<Selector>,
    by_selector: BTreeMap<(String, Labels), u32>,
    keys: Vec<TopologyKey>,
    by_key: BTreeMap<String, u32>,
    pairs: Vec<SpreadCounts>,
    by_pair: BTreeMap<(u32, u32), u32>,
    /// Selectors by their namespace and first label, and labelsets by
    /// their namespace and each of their labels: a selector can only match
    /// a labelset that has its first label, so a new labelset or selector is
    /// matched against those alone, not against every one of the other kind
    /// (with a Deployment's pods each a labelset and its spread each a
    /// selector, that would be Deployments squared).
    selectors_by_first: BTreeMap<(String, String, String), Vec<u32>>,
    labelsets_by_label: BTreeMap<(String, String, String), Vec<u32>>,
}

impl Spread {
    fn labelset(&mut self, namespace: &str, labels: &Labels) -> u32 {
        let key = (namespace.to_string(), labels.clone());
        if let Some(&id) = self.by_labels.get(&key) {
            return id;
        }
        let id = self.labelsets.len() as u32;
        let mut matching = Vec::new();
        for (k, v) in labels {
            let at = (namespace.to_string(), k.clone(), v.clone());
            if let Some(candidates) = self.selectors_by_first.get(&at) {
                let selectors = &self.selectors;
                matching
                    .extend(candidates.iter().filter(|&&s| selector_matches(&selectors[s as usize].labels, labels)));
            }
            self.labelsets_by_label.entry(at).or_default().push(id);
        }
        matching.sort_unstable();
        self.matching.push(matching);
        self.labelsets.push(key.clone());
        self.by_labels.insert(key, id);
        id
    }

    /// Matching pods counted on node `h`.
    fn on_node_matching(&self, h: usize, selector: u32) -> i64 {
        self.on_node[h]
            .iter()
            .filter(|(ls, _)| self.matching[*ls as usize].binary_search(&selector).is_ok())
            .map(|&(_, n)| i64::from(n))
            .sum()
    }

    fn key(&mut self, name: &str, nodes: &[NodeInfo]) -> u32 {
        if let Some(&k) = self.by_key.get(name) {
            return k;
        }
        let mut key = TopologyKey {
            name: name.to_string(),
            domain_of: Vec::with_capacity(nodes.len()),
            values: Vec::new(),
            by_value: BTreeMap::new(),
            registered_nodes: Vec::new(),
            nodes_without: 0,
            shared_domains: 0,
            nodes: Vec::new(),
        };
        for n in nodes {
            let d = key.domain_for(&n.labels);
            key.domain_of.push(d);
            if d != NONE && n.registered {
                key.registered_nodes[d as usize] += 1;
            }
        }
        let k = self.keys.len() as u32;
        self.keys.push(key);
        self.by_key.insert(name.to_string(), k);
        k
    }

    fn selector(&mut self, namespace: &str, labels: &Labels) -> u32 {
        let key = (namespace.to_string(), labels.clone());
        if let Some(&s) = self.by_selector.get(&key) {
            return s;
        }
        let s = self.selectors.len() as u32;
        // An empty selector matches nothing.
        if let Some((k, v)) = labels.iter().next() {
            let at = (namespace.to_string(), k.clone(), v.clone());
            for &ls in self.labelsets_by_label.get(&at).map_or(&[][..], Vec::as_slice) {
                if selector_matches(labels, &self.labelsets[ls as usize].1) {
                    self.matching[ls as usize].push(s);
                }
            }
            self.selectors_by_first.entry(at).or_default().push(s);
        }
        self.selectors.push(Selector { labels: labels.clone(), pairs: Vec::new() });
        self.by_selector.insert(key, s);
        s
    }

    fn pair(&mut self, selector: u32, key: u32, nodes: &[NodeInfo]) -> u32 {
        if let Some(&p) = self.by_pair.get(&(selector, key)) {
            return p;
        }
        let domains = &self.keys[key as usize];
        let mut per_domain = vec![0i32; domains.values.len()];
        for (h, n) in nodes.iter().enumerate() {
            let d = domains.domain_of[h];
            if n.registered && d != NONE {
                per_domain[d as usize] += self.on_node_matching(h, selector) as i32;
            }
        }
        let p = self.pairs.len() as u32;
        self.pairs.push(SpreadCounts { selector, key, per_domain });
        self.selectors[selector as usize].pairs.push(p);
        self.by_pair.insert((selector, key), p);
        p
    }

    /// `delta` pods of `labelset` counted on node `h` (registered or not).
    fn count(&mut self, h: usize, labelset: u32, delta: i64, registered: bool) {
        let entries = &mut self.on_node[h];
        match entries.iter().position(|(ls, _)| *ls == labelset) {
            Some(i) => {
                let n = i64::from(entries[i].1) + delta;
                if n <= 0 {
                    entries.swap_remove(i);
                } else {
                    entries[i].1 = n as u32;
                }
            }
            None if delta > 0 => entries.push((labelset, delta as u32)),
            None => {}
        }
        if !registered {
            return;
        }
        for &s in &self.matching[labelset as usize] {
            for &p in &self.selectors[s as usize].pairs {
                let pair = &mut self.pairs[p as usize];
                let d = self.keys[pair.key as usize].domain_of[h];
                if d != NONE {
                    pair.per_domain[d as usize] += delta as i32;
                }
            }
        }
    }

    /// Adds (`sign` 1) or takes away (−1) node `h`'s pods and presence from the domain counts.
    fn node_in_domains(&mut self, h: usize, sign: i64) {
        for key in &mut self.keys {
            let d = key.domain_of[h];
            if d != NONE {
                key.registered_nodes[d as usize] = (i64::from(key.registered_nodes[d as usize]) + sign) as u32;
            }
        }
        for s in 0..self.selectors.len() {
            let n = self.on_node_matching(h, s as u32);
            if n == 0 {
                continue;
            }
            for &p in &self.selectors[s].pairs {
                let pair = &mut self.pairs[p as usize];
                let d = self.keys[pair.key as usize].domain_of[h];
                if d != NONE {
                    pair.per_domain[d as usize] += (sign * n) as i32;
                }
            }
        }
    }
}

/// How many registered nodes have each image, and which nodes have which.
#[derive(Clone, Debug, Default)]
struct Images {
    size: Vec<i64>,
    /// Per node, one flag per image.
    present: Vec<bool>,
    num_nodes: Vec<i64>,
}

/// The scheduler's cache. Nodes are indexed like the world's hosts.
#[derive(Clone, Debug, Default)]
pub struct SchedulerCache {
    nodes: Vec<NodeInfo>,
    /// The snapshot: registered nodes, ascending.
    registered: Vec<u32>,
    /// Registered nodes that are cordoned, have a NoSchedule or NoExecute
    /// taint, or a PreferNoSchedule taint: plugins with nothing to find skip their work.
    unschedulable_nodes: u32,
    hard_tainted_nodes: u32,
    prefer_tainted_nodes: u32,
    images: Images,
    spread: Spread,
    generation: u64,
    /// Per node, the generation of its last change: what a node-local
    /// plugin computed for a pod holds while it stays.
    node_generation: Vec<u64>,
    /// The generation of the last change to how many registered nodes have
    /// each image (ImageLocality weighs an image by it).
    image_generation: u64,
    /// The generation of the last change to which nodes are registered
    /// (nodes keep their labels), so which nodes a node selector matches.
    membership_generation: u64,
    /// Pods prepared so far: each prepared pod gets its own id.
    prepared: u64,
    /// The ids of pods alike but for their labels and spread constraints, by what they ask for.
    alike: BTreeMap<String, u64>,
}

impl SchedulerCache {
    /// A cache for a cluster whose images have these sizes in bytes.
    pub fn new(image_sizes: Vec<i64>) -> Self {
        let num_nodes = vec![0; image_sizes.len()];
        SchedulerCache { images: Images { size: image_sizes, present: Vec::new(), num_nodes }, ..Self::default() }
    }

    /// Adds a node, not yet registered; nodes are numbered in the order added.
    pub fn add_node(&mut self, mut node: NodeInfo) {
        node.registered = false;
        self.node_generation.push(0);
        let h = self.nodes.len();
        for key in &mut self.spread.keys {
            let d = key.domain_for(&node.labels);
            key.domain_of.push(d);
        }
        self.nodes.push(node);
        self.spread.on_node.push(Vec::new());
        self.images.present.extend(std::iter::repeat_n(false, self.images.size.len()));
        debug_assert_eq!(self.spread.on_node.len(), h + 1);
        self.touched(h);
        self.membership_generation = self.generation;
    }

    pub fn node(&self, h: usize) -> &NodeInfo {
        &self.nodes[h]
    }

    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// The snapshot's nodes, in the order a cycle walks them.
    pub fn registered(&self) -> &[u32] {
        &self.registered
    }

    /// Changes whenever anything the scheduler reads changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes whenever node `h` changes.
    pub fn node_generation(&self, h: usize) -> u64 {
        self.node_generation[h]
    }

    /// Every node's generation, by node.
    pub(super) fn node_generations(&self) -> &[u64] {
        &self.node_generation
    }

    /// Changes whenever a node is added, joins or leaves the snapshot.
    pub fn membership_generation(&self) -> u64 {
        self.membership_generation
    }

    /// Changes whenever the number of registered nodes with some image changes.
    pub fn image_generation(&self) -> u64 {
        self.image_generation
    }

    fn touched(&mut self, h: usize) {
        self.generation += 1;
        self.node_generation[h] = self.generation;
    }

    fn flag_counts(&mut self, h: usize, sign: i64) {
        let n = &self.nodes[h];
        let add = |c: &mut u32, on: bool| {
            if on {
                *c = (i64::from(*c) + sign) as u32;
            }
        };
        let (u, hard, prefer) = (n.unschedulable, n.has_hard_taint(), n.has_prefer_taint());
        add(&mut self.unschedulable_nodes, u);
        add(&mut self.hard_tainted_nodes, hard);
        add(&mut self.prefer_tainted_nodes, prefer);
    }

    /// The node joins or leaves the snapshot.
    pub fn set_registered(&mut self, h: usize, registered: bool) {
        if self.nodes[h].registered == registered {
            return;
        }
        let sign = if registered { 1 } else { -1 };
        if !registered {
            self.flag_counts(h, -1);
        }
        self.nodes[h].registered = registered;
        if registered {
            self.flag_counts(h, 1);
            let at = self.registered.partition_point(|&x| (x as usize) < h);
            self.registered.insert(at, h as u32);
        } else if let Ok(at) = self.registered.binary_search(&(h as u32)) {
            self.registered.remove(at);
        }
        let n = self.images.size.len();
        for i in 0..n {
            if self.images.present[h * n + i] {
                self.images.num_nodes[i] += sign;
            }
        }
        self.spread.node_in_domains(h, sign);
        self.touched(h);
        self.image_generation = self.generation;
        self.membership_generation = self.generation;
    }

    /// The node's taints and cordon changed.
    pub fn set_taints(&mut self, h: usize, taints: &[Taint], unschedulable: bool) {
        let n = &self.nodes[h];
        if n.taints == taints && n.unschedulable == unschedulable {
            return;
        }
        let registered = n.registered;
        if registered {
            self.flag_counts(h, -1);
        }
        let n = &mut self.nodes[h];
        n.taints = taints.to_vec();
        n.unschedulable = unschedulable;
        if registered {
            self.flag_counts(h, 1);
        }
        self.touched(h);
    }

    /// Whether node `h` has every layer of `image` now.
    pub fn image_present(&self, h: usize, image: usize) -> bool {
        self.images.present[h * self.images.size.len() + image]
    }

    pub fn set_image_present(&mut self, h: usize, image: usize, present: bool) {
        let i = h * self.images.size.len() + image;
        if self.images.present[i] == present {
            return;
        }
        self.images.present[i] = present;
        self.touched(h);
        if self.nodes[h].registered {
            self.images.num_nodes[image] += if present { 1 } else { -1 };
            self.image_generation = self.generation;
        }
    }

    /// `ImageStateSummary`: an image's size and how many registered nodes have it.
    pub fn image_state(&self, image: usize) -> (i64, i64) {
        (self.images.size[image], self.images.num_nodes[image])
    }

    /// Works out the pod's ids in the cache: its labels' group and its spread
    /// constraints' counts, which the cache keeps from now on.
    pub fn prepare(&mut self, pod: &mut PodInfo) {
        self.prepared += 1;
        pod.id = self.prepared;
        let ask = format!(
            "{:?}",
            (
                pod.requests,
                pod.non_zero_requests,
                pod.score_requests,
                &pod.images,
                &pod.node_selector,
                &pod.node_name,
                &pod.affinity,
                &pod.tolerations
            )
        );
        let next = self.alike.len() as u64 + 1;
        pod.alike = *self.alike.entry(ask).or_insert(next);
        pod.labelset = self.spread.labelset(&pod.namespace, &pod.labels);
        pod.spread_counts = pod
            .spread
            .iter()
            .map(|c| {
                let key = self.spread.key(&c.topology_key, &self.nodes);
                let selector = self.spread.selector(&pod.namespace, &c.label_selector);
                self.spread.pair(selector, key, &self.nodes)
            })
            .collect();
    }

    /// A pod bound to node `h` (`counted`: not terminating, so spreading counts it).
    pub fn add_pod(&mut self, h: usize, pod: &PodInfo, counted: bool) {
        let n = &mut self.nodes[h];
        add(&mut n.requested, pod.requests, 1);
        add(&mut n.non_zero_requested, pod.non_zero_requests, 1);
        if counted {
            let registered = n.registered;
            self.spread.count(h, pod.labelset, 1, registered);
        }
        self.touched(h);
    }

    /// A pod on node `h` started terminating: spreading counts it no more.
    pub fn pod_terminating(&mut self, h: usize, pod: &PodInfo) {
        let registered = self.nodes[h].registered;
        self.spread.count(h, pod.labelset, -1, registered);
        self.touched(h);
    }

    /// A pod left node `h`; `counted` as in [`Self::add_pod`] at this moment.
    pub fn remove_pod(&mut self, h: usize, pod: &PodInfo, counted: bool) {
        let n = &mut self.nodes[h];
        add(&mut n.requested, pod.requests, -1);
        add(&mut n.non_zero_requested, pod.non_zero_requests, -1);
        if counted {
            let registered = n.registered;
            self.spread.count(h, pod.labelset, -1, registered);
        }
        self.touched(h);
    }

    pub(super) fn counts_unschedulable(&self) -> bool {
        self.unschedulable_nodes > 0
    }

    pub(super) fn counts_hard_taints(&self) -> bool {
        self.hard_tainted_nodes > 0
    }

    pub(super) fn counts_prefer_taints(&self) -> bool {
        self.prefer_tainted_nodes > 0
    }

    /// The domain of node `h` under the pair's topology key, if it has the key.
    pub(super) fn spread_domain(&self, pair: u32, h: usize) -> Option<usize> {
        let key = self.spread.pairs[pair as usize].key as usize;
        let d = self.spread.keys[key].domain_of[h];
        (d != NONE).then_some(d as usize)
    }

    /// Matching pods per domain over registered nodes, and registered nodes per domain.
    pub(super) fn spread_counts(&self, pair: u32) -> (&[i32], &[u32]) {
        let p = &self.spread.pairs[pair as usize];
        (&p.per_domain, &self.spread.keys[p.key as usize].registered_nodes)
    }

    /// Matching pods counted on node `h` for the pair's selector.
    pub(super) fn spread_on_node(&self, pair: u32, h: usize) -> i64 {
        self.spread.on_node_matching(h, self.spread.pairs[pair as usize].selector)
    }

    /// Per node, its domain's index under the pair's topology key (`u32::MAX`: lacks the key).
    pub(super) fn spread_domains_of(&self, pair: u32) -> &[u32] {
        let key = self.spread.pairs[pair as usize].key as usize;
        &self.spread.keys[key].domain_of
    }

    /// Whether every node has the pair's topology key, each its own value (as `kubernetes.io/hostname`).
    pub(super) fn spread_key_is_per_node(&self, pair: u32) -> bool {
        let key = &self.spread.keys[self.spread.pairs[pair as usize].key as usize];
        key.nodes_without == 0 && key.shared_domains == 0
    }

    /// Whether no node at all has the pair's topology key (as `topology.kubernetes.io/zone` in a cluster without zones).
    pub(super) fn spread_key_is_absent(&self, pair: u32) -> bool {
        let key = &self.spread.keys[self.spread.pairs[pair as usize].key as usize];
        key.nodes_without as usize == self.nodes.len()
    }

    /// Whether some node lacks the pair's topology key.
    pub(super) fn spread_key_is_missing_somewhere(&self, pair: u32) -> bool {
        self.spread.keys[self.spread.pairs[pair as usize].key as usize].nodes_without > 0
    }

    /// Domains the pair's key has.
    pub(super) fn spread_domains(&self, pair: u32) -> usize {
        let key = self.spread.pairs[pair as usize].key as usize;
        self.spread.keys[key].values.len()
    }
}

/// Adds `r` to `total` (`sign` 1) or takes it away (−1).
pub(crate) fn add(total: &mut Resources, r: Resources, sign: i64) {
    total.milli_cpu += sign * r.milli_cpu;
    total.memory += sign * r.memory;
    total.pods += sign * r.pods;
    for (t, r) in total.scalar.iter_mut().zip(r.scalar) {
        *t += sign * r;
    }
}
