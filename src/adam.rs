//! Adam with its state keyed by parameter path (e.g. `ct1.weight`), and module tensors by
//! path, so a checkpoint names every weight and moment the way PyTorch users expect and a
//! resumed run finds its optimizer state again (Burn's own optimizer keys state by random
//! parameter ids).

use std::collections::BTreeMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
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

/// Adam (Kingma & Ba) as in the lesson: bias-corrected moments, `p -= lr m̂ / (√v̂ + eps)`.
#[derive(Clone, Debug)]
pub struct Adam {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Steps taken (the bias correction's t).
    pub t: u64,
    /// Parameter path → (first moment, second moment), flattened, on the plain device.
    pub state: BTreeMap<String, (Tensor<1>, Tensor<1>)>,
}

impl Adam {
    pub fn new(beta1: f64) -> Self {
        Adam { beta1, beta2: 0.999, eps: 1e-8, t: 0, state: BTreeMap::new() }
    }

    /// One step on every parameter of `module` that has a gradient in `grads`.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        self.t += 1;
        let mut mapper = StepMapper { adam: self, grads, lr, path: PathStack::default() };
        module.map(&mut mapper)
    }
}

struct StepMapper<'a> {
    adam: &'a mut Adam,
    grads: GradientsParams,
    lr: f64,
    path: PathStack,
}

impl ModuleMapper for StepMapper<'_> {
    follow_paths!();
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let dims = tensor.dims();
        let n: usize = dims.iter().product();
        let a = &mut *self.adam;
        let p = tensor.inner().reshape([n]);
        let g = grad.reshape([n]);
        let key = self.path.path();
        let (m, v) = a.state.remove(&key).unwrap_or_else(|| (p.zeros_like(), p.zeros_like()));
        let m = m.mul_scalar(a.beta1) + g.clone().mul_scalar(1.0 - a.beta1);
        let v = v.mul_scalar(a.beta2) + (g.clone() * g).mul_scalar(1.0 - a.beta2);
        let bc1 = 1.0 - a.beta1.powi(a.t as i32);
        let bc2 = 1.0 - a.beta2.powi(a.t as i32);
        let step = m.clone().div_scalar(bc1) / (v.clone().div_scalar(bc2).sqrt().add_scalar(a.eps));
        let p = (p - step.mul_scalar(self.lr)).reshape(dims);
        a.state.insert(key, (m, v));
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
