//! Adam with its state keyed by parameter path (e.g. `ct1.weight`), and module tensors by
//! path, so a checkpoint names every weight and moment the way PyTorch users expect and a
//! resumed run finds its optimizer state again (Burn's own optimizer keys state by random
//! parameter ids).
//!
//! One step updates every parameter of a network at once: the gradients are packed into one
//! flat buffer, the moments live in two more, and Adam's arithmetic runs once over the whole
//! network instead of once per parameter. On a GPU that is a dozen kernels for the network
//! where it was ~14 per parameter (bench/README.md, "What one training step asks of the GPU").

use std::collections::BTreeMap;
use std::ops::Range;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::prelude::*;

/// Module paths without enum variant names: `Generator::Dc(g)`'s `g.ct1.weight` is `ct1.weight`.
#[derive(Default)]
struct PathStack(Vec<String>);

impl PathStack {
    fn enter(&mut self, name: &str, container: &str) {
        if !container.starts_with("Enum:") {
            self.0.push(name.to_string());
        }
    }
    fn exit(&mut self, container: &str) {
        if !container.starts_with("Enum:") {
            self.0.pop();
        }
    }
    fn path(&self) -> String {
        self.0.join(".")
    }
}

/// The `enter_module`/`exit_module` pair of a visitor or mapper whose `path` is a [`PathStack`].
macro_rules! follow_paths {
    () => {
        fn enter_module(&mut self, name: &str, container: &str) {
            self.path.enter(name, container);
        }
        fn exit_module(&mut self, _name: &str, container: &str) {
            self.path.exit(container);
        }
    };
}

/// Where each parameter's segment starts in the flat buffers is a multiple of this many
/// values (256 bytes: WebGPU's largest storage-buffer offset alignment), so a parameter's
/// segment is a view of the buffer, not a copy.
const ALIGN: usize = 64;

/// One parameter's place in the flat buffers.
#[derive(Clone, Debug, PartialEq)]
struct Slot {
    path: String,
    start: usize,
    len: usize,
}

impl Slot {
    fn range(&self) -> Range<usize> {
        self.start..self.start + self.len
    }
}

/// The moments of every parameter stepped so far, packed: one buffer for m, one for v, and
/// where each parameter's values are in them.
#[derive(Clone, Debug, Default)]
struct Packed {
    slots: Vec<Slot>,
    m: Option<Tensor<1>>,
    v: Option<Tensor<1>>,
}

/// Adam (Kingma & Ba) as in the lesson: bias-corrected moments, `p -= lr m̂ / (√v̂ + eps)`.
#[derive(Clone, Debug)]
pub struct Adam {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Steps taken (the bias correction's t).
    pub t: u64,
    packed: Packed,
    /// Moments given by [`Adam::set_moments`] (a resumed checkpoint) or left over from
    /// parameters no longer stepped, by path; packed at the next step.
    loose: BTreeMap<String, (Tensor<1>, Tensor<1>)>,
}

impl Adam {
    pub fn new(beta1: f64) -> Self {
        Adam { beta1, beta2: 0.999, eps: 1e-8, t: 0, packed: Packed::default(), loose: BTreeMap::new() }
    }

    /// Every parameter's first and second moments, flattened, by path (what a checkpoint
    /// stores as `{path}.exp_avg` and `{path}.exp_avg_sq`), in path order.
    pub fn moments(&self) -> Vec<(String, Tensor<1>, Tensor<1>)> {
        let mut out: BTreeMap<String, (Tensor<1>, Tensor<1>)> = self.loose.clone();
        if let (Some(m), Some(v)) = (&self.packed.m, &self.packed.v) {
            for s in &self.packed.slots {
                out.insert(s.path.clone(), (m.clone().slice([s.range()]), v.clone().slice([s.range()])));
            }
        }
        out.into_iter().map(|(p, (m, v))| (p, m, v)).collect()
    }

    /// Sets one parameter's moments (flattened), as a resumed checkpoint does.
    pub fn set_moments(&mut self, path: String, m: Tensor<1>, v: Tensor<1>) {
        self.packed.slots.retain(|s| s.path != path);
        self.loose.insert(path, (m, v));
    }

    /// One step on every parameter of `module` that has a gradient in `grads`.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        self.t += 1;
        // The parameters with a gradient, in the module's order, and their gradients.
        let mut gather = Gather { path: PathStack::default(), grads, found: Vec::new() };
        module.visit(&mut gather);
        let Some(device) = gather.found.first().map(|(_, _, g)| g.device()) else {
            return module;
        };
        let mut slots = Vec::with_capacity(gather.found.len());
        let mut total = 0;
        for (path, _, g) in &gather.found {
            let len = g.dims()[0];
            slots.push(Slot { path: path.clone(), start: total, len });
            total += len.div_ceil(ALIGN) * ALIGN;
        }
        if slots != self.packed.slots {
            self.repack(slots, total, &device);
        }

        // Adam over the whole network at once. The gaps between segments stay zero (g = 0 keeps
        // m = v = 0 there, and the update 0 / (0 + eps) = 0).
        let mut g = Tensor::<1>::zeros([total], &device);
        let mut place = BTreeMap::new();
        for (slot, (_, id, grad)) in self.packed.slots.iter().zip(gather.found) {
            g = g.slice_assign([slot.range()], grad);
            place.insert(id, slot.range());
        }
        let (b1, b2) = (self.beta1, self.beta2);
        let m = self.packed.m.take().expect("packed").mul_scalar(b1) + g.clone().mul_scalar(1.0 - b1);
        let v = self.packed.v.take().expect("packed").mul_scalar(b2) + (g.clone() * g).mul_scalar(1.0 - b2);
        // lr m̂ / (√v̂ + eps), in the order the per-parameter Adam computed it (the same
        // roundings: tests/training.rs holds training to its results).
        let bc1 = 1.0 - b1.powi(self.t as i32);
        let bc2 = 1.0 - b2.powi(self.t as i32);
        let update = (m.clone().div_scalar(bc1) / v.clone().div_scalar(bc2).sqrt().add_scalar(self.eps)).mul_scalar(lr);
        self.packed.m = Some(m);
        self.packed.v = Some(v);
        module.map(&mut Apply { update, place })
    }

    /// Lays the moments out for `slots` (zero for a parameter seen for the first time).
    fn repack(&mut self, slots: Vec<Slot>, total: usize, device: &Device) {
        for (path, m, v) in self.moments() {
            self.loose.insert(path, (m, v));
        }
        let mut m = Tensor::<1>::zeros([total], device);
        let mut v = Tensor::<1>::zeros([total], device);
        for s in &slots {
            if let Some((ms, vs)) = self.loose.remove(&s.path) {
                assert_eq!(ms.dims()[0], s.len, "the moments of {} do not fit the parameter", s.path);
                m = m.slice_assign([s.range()], ms.to_device(device));
                v = v.slice_assign([s.range()], vs.to_device(device));
            }
        }
        self.packed = Packed { slots, m: Some(m), v: Some(v) };
    }
}

/// Takes each parameter's gradient out of `grads`, flattened, with the parameter's path and id.
struct Gather {
    path: PathStack,
    grads: GradientsParams,
    found: Vec<(String, ParamId, Tensor<1>)>,
}

impl ModuleVisitor for Gather {
    follow_paths!();
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            let n: usize = g.dims().iter().product();
            self.found.push((self.path.path(), param.id, g.reshape([n])));
        }
    }
}

/// Subtracts each parameter's segment of the update (a view of it, reshaped).
struct Apply {
    update: Tensor<1>,
    place: BTreeMap<ParamId, Range<usize>>,
}

impl ModuleMapper for Apply {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(range) = self.place.get(&id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let dims = tensor.dims();
        let p = tensor.inner() - self.update.clone().slice([range.clone()]).reshape(dims);
        Param::from_mapped_value(id, Tensor::from_inner(p).require_grad(), mapper)
    }
}

/// Every float tensor of `module` (parameters and BatchNorm running statistics) by path,
/// flattened, with its shape. Reading them back is the caller's (async on the web).
pub fn named_tensors<M: Module>(module: &M) -> Vec<(String, Vec<usize>, Tensor<1>)> {
    struct Collect {
        path: PathStack,
        out: Vec<(String, Vec<usize>, Tensor<1>)>,
    }
    impl ModuleVisitor for Collect {
        follow_paths!();
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val().inner();
            let dims = t.dims().to_vec();
            self.out.push((self.path.path(), dims, t.flatten(0, D - 1)));
        }
    }
    let mut c = Collect { path: PathStack::default(), out: Vec::new() };
    module.visit(&mut c);
    c.out
}

/// Replaces every float tensor of `module` by the one of the same path in `values` (flat
/// values, checked against the module's shape). Fails naming the first missing or mismatched
/// tensor; `values` keeps what was not used.
pub fn load_named<M: Module>(module: M, values: &mut BTreeMap<String, (Vec<usize>, Vec<f32>)>) -> Result<M, String> {
    struct Load<'a> {
        path: PathStack,
        values: &'a mut BTreeMap<String, (Vec<usize>, Vec<f32>)>,
        error: Option<String>,
    }
    impl ModuleMapper for Load<'_> {
        follow_paths!();
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, tensor, mapper) = param.consume();
            let key = self.path.path();
            let dims = tensor.dims();
            match self.values.remove(&key) {
                Some((shape, data)) if shape == dims => {
                    let mut t = Tensor::<D>::from_data(burn::tensor::TensorData::new(data, dims), &tensor.device());
                    if tensor.is_require_grad() {
                        t = t.require_grad();
                    }
                    return Param::from_mapped_value(id, t, mapper);
                }
                Some((shape, _)) => {
                    self.error.get_or_insert(format!("tensor {key} has shape {shape:?}, the model needs {dims:?}"));
                }
                None => {
                    self.error.get_or_insert(format!("tensor {key} is missing"));
                }
            }
            Param::from_mapped_value(id, tensor, mapper)
        }
    }
    let mut l = Load { path: PathStack::default(), values, error: None };
    let module = module.map(&mut l);
    match l.error {
        Some(e) => Err(e),
        None => Ok(module),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    /// The packed buffers step every element as Adam's formula does on its own, over several
    /// steps (bias correction included), for a weight and a bias packed side by side.
    #[test]
    fn packed_adam_is_adams_formula_element_by_element() {
        let device = Device::flex().autodiff();
        let mut net: Linear = LinearConfig::new(3, 2).init(&device);
        let values = |net: &Linear| {
            let w = net.weight.val().inner().into_data().try_to_vec::<f32>().unwrap();
            let b = net.bias.as_ref().unwrap().val().inner().into_data().try_to_vec::<f32>().unwrap();
            [w, b].concat()
        };
        let mut want: Vec<f64> = values(&net).iter().map(|&x| x as f64).collect();
        let mut adam = Adam::new(0.5);
        let (b1, b2, eps, lr) = (0.5, adam.beta2, adam.eps, 0.01);
        let (mut m, mut v) = (vec![0.0; 8], vec![0.0; 8]);
        for t in 1..=4 {
            // loss = sum(W * C) + sum(b * c): the gradients are C and c.
            let g: Vec<f32> = (0..8).map(|i| ((i + 1) as f32 * t as f32 * 0.37).sin() * if i % 3 == 0 { 1e-3 } else { 1.0 }).collect();
            let cw = Tensor::<2>::from_data(TensorData::new(g[..6].to_vec(), [3, 2]), &device);
            let cb = Tensor::<1>::from_data(TensorData::new(g[6..].to_vec(), [2]), &device);
            let loss = (net.weight.val() * cw).sum() + (net.bias.as_ref().unwrap().val() * cb).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = adam.step(lr, net, grads);
            for i in 0..8 {
                let gi = g[i] as f64;
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                let (mh, vh) = (m[i] / (1.0 - b1.powi(t)), v[i] / (1.0 - b2.powi(t)));
                want[i] -= lr * mh / (vh.sqrt() + eps);
            }
        }
        for (i, (got, want)) in values(&net).iter().zip(&want).enumerate() {
            assert!((*got as f64 - want).abs() < 1e-6, "element {i}: {got} vs {want}");
        }
        let moments = adam.moments();
        let weight = moments.iter().find(|(p, ..)| p == "weight").expect("the weight's moments");
        let m_got = weight.1.clone().into_data().try_to_vec::<f32>().unwrap();
        for i in 0..6 {
            assert!((m_got[i] as f64 - m[i]).abs() < 1e-6, "m[{i}]: {} vs {}", m_got[i], m[i]);
        }
    }
}
