//! Every setting a person chooses, declared once: the GAN's (the run's shape, [`GanSetup`], and
//! what may change while it trains, [`GanLive`]) and style transfer's ([`StyleConfig`]). Each
//! struct has its defaults, its field list (the page's inputs and link keys, the CLI's flags,
//! the ranges and messages) and its checks; checkpoints store the same structs as JSON.
//!
//! To add a setting: a field in the struct and its default, one [`Field`] entry, and any check
//! that needs more than the field's range in the struct's [`Settings::check`].

use serde::{Deserialize, Serialize};

use crate::fields::{self, Field, FieldError, Form, Kind, Settings};
use crate::model::ModelKind;

/// The loss the two networks play with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Binary cross-entropy on D's logits (the lesson's).
    Bce,
    /// Least squares on D's raw output (LSGAN, Mao et al. 2017): targets 1 real, 0 generated.
    Lsgan,
}

/// The GAN run's shape: chosen before it starts, fixed while it trains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GanSetup {
    pub model: ModelKind,
    pub batch_size: usize,
    pub latent: usize,
    pub beta1: f64,
    pub loss: Loss,
    pub seed: u64,
}

impl Default for GanSetup {
    fn default() -> Self {
        GanSetup { model: ModelKind::Dcgan, batch_size: 64, latent: 100, beta1: 0.5, loss: Loss::Bce, seed: 1 }
    }
}

impl GanSetup {
    /// The defaults for `model`: its noise length ([`ModelKind::latent`]), the rest as
    /// [`GanSetup::default`].
    pub fn for_model(model: ModelKind) -> Self {
        GanSetup { model, latent: model.latent(), ..GanSetup::default() }
    }
}

impl Settings for GanSetup {
    const FIELDS: &'static [Field] = &[
        Field {
            name: "model",
            flag: "model",
            label: "Model",
            help: "Which network pair to train (default: the tiny DCGAN for 28x28 images, the DCGAN made for 32 or 64 px images, else the dense GAN).",
            kind: Kind::Choice(|| ModelKind::ALL.iter().map(|k| (k.name(), k.label())).collect()),
            message: "choose one of the models: tiny, dcgan, dcgan32, dcgan64 or dense",
            group: "model",
        },
        Field {
            name: "batch_size",
            flag: "batch",
            label: "Batch size",
            help: "Images per step, real and generated alike.",
            kind: Kind::Int { min: 2, max: 1024 },
            message: "batch size must be a whole number from 2 (BatchNorm needs two samples) to 1024",
            group: "hyper",
        },
        Field {
            name: "latent",
            flag: "latent",
            label: "Latent size",
            help: "Length of the noise vector z that G turns into an image (default: the lesson's 100; 32 for the tiny DCGAN, whose last 10 numbers choose one of its 10 categories).",
            kind: Kind::Int { min: 1, max: 1024 },
            message: "latent size must be a whole number from 1 to 1024",
            group: "hyper",
        },
        Field {
            name: "beta1",
            flag: "beta1",
            label: "Adam beta1",
            help: "Adam's momentum; the DCGAN paper's 0.5 keeps G and D from overshooting each other.",
            kind: Kind::Float { min: 0.0, max: 1.0 },
            message: "beta1 must be a number from 0 up to (not including) 1",
            group: "hyper",
        },
        Field {
            name: "loss",
            flag: "loss",
            label: "Loss",
            help: "bce: binary cross-entropy, the lesson's; lsgan: least squares on D's raw output.",
            kind: Kind::Choice(|| vec![("bce", "Binary cross-entropy (the lesson's)"), ("lsgan", "Least squares (LSGAN)")]),
            message: "choose the loss: bce or lsgan",
            group: "hyper",
        },
        Field {
            name: "seed",
            flag: "seed",
            label: "Random seed",
            help: "Starts the weights, the noise and the batch order: the same seed gives the same run.",
            kind: Kind::Int { min: 0, max: u32::MAX as u64 },
            message: "the seed must be a whole number from 0 to 4294967295",
            group: "hyper",
        },
    ];

    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.beta1 >= 1.0 {
            errors.push(error("beta1", Self::FIELDS));
        }
        let codes = self.model.codes();
        if self.latent <= codes {
            errors.push(FieldError::new(
                "latent",
                format!("the {} needs a latent size above {codes} (its last {codes} numbers choose one of {codes} categories)", self.model.title()),
            ));
        }
        errors
    }
}

/// What may change while the GAN trains: the balancing tricks and the augmentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GanLive {
    pub lr_g: f64,
    pub lr_d: f64,
    /// The real label D learns (1 = none; 0.9 = one-sided label smoothing).
    pub real_label: f64,
    /// D steps per G step.
    pub d_steps: usize,
    /// Skip D's steps while its last loss is below this (0 = never skip).
    pub skip_d_below: f64,
    /// Mirror each real image left-right with probability 1/2.
    pub flip: bool,
    /// The samples shown (grid, quality score, latent walk) come from an average of G's weights
    /// over about this many steps (0 = from G itself): [`crate::train::Trainer::shown`].
    pub average: usize,
}

impl Default for GanLive {
    fn default() -> Self {
        GanLive { lr_g: 2e-4, lr_d: 2e-4, real_label: 1.0, d_steps: 1, skip_d_below: 0.0, flip: false, average: 0 }
    }
}

impl GanLive {
    /// The defaults for `model`: its learning rate ([`ModelKind::learning_rate`]) and averaging
    /// ([`ModelKind::average`]), the rest as [`GanLive::default`].
    pub fn for_model(model: ModelKind) -> Self {
        let lr = model.learning_rate();
        GanLive { lr_g: lr, lr_d: lr, average: model.average(), ..GanLive::default() }
    }
}

const LR_MESSAGE: &str = "learning rate must be a number above 0 and at most 1 (e.g. 2e-4)";

impl Settings for GanLive {
    const FIELDS: &'static [Field] = &[
        Field {
            name: "lr_g",
            flag: "lr-g",
            label: "Learning rate G",
            help: "Adam's step size for the generator (default: the lesson's 2e-4; 1e-3 for the tiny DCGAN).",
            kind: Kind::Float { min: 0.0, max: 1.0 },
            message: LR_MESSAGE,
            group: "balance",
        },
        Field {
            name: "lr_d",
            flag: "lr-d",
            label: "Learning rate D",
            help: "Adam's step size for the discriminator (lower it when D wins too easily; default: as for G).",
            kind: Kind::Float { min: 0.0, max: 1.0 },
            message: LR_MESSAGE,
            group: "balance",
        },
        Field {
            name: "real_label",
            flag: "real-label",
            label: "Real label (0.9 = one-sided label smoothing)",
            help: "The target D learns for real images; below 1 keeps D from growing overconfident.",
            kind: Kind::Float { min: 0.5, max: 1.0 },
            message: "the real label must be a number from 0.5 to 1 (1 = no smoothing, 0.9 is usual)",
            group: "balance",
        },
        Field {
            name: "d_steps",
            flag: "d-steps",
            label: "D steps per G step",
            help: "How many times D learns before G takes one step.",
            kind: Kind::Int { min: 1, max: 10 },
            message: "D steps per G step must be a whole number from 1 to 10",
            group: "balance",
        },
        Field {
            name: "skip_d_below",
            flag: "skip-d-below",
            label: "Skip D's step while its loss is below (0 = never)",
            help: "Lets G catch up while D wins easily (its last loss is read back every step while on).",
            kind: Kind::Float { min: 0.0, max: 10.0 },
            message: "the skip threshold must be a number from 0 (never skip) to 10",
            group: "balance",
        },
        Field {
            name: "flip",
            flag: "flip",
            label: "Mirror real images left-right at random (augmentation)",
            help: "Each real image is mirrored with probability 1/2.",
            kind: Kind::Bool,
            message: "mirroring is on (true) or off (false)",
            group: "model",
        },
        Field {
            name: "average",
            flag: "average",
            label: "Show G averaged over its last N steps (0 = G itself)",
            help: "The samples shown (grid, score, latent walk) come from a moving average of G's weights over about N steps: steadier, cleaner samples than G's latest step (default: 100 for the tiny DCGAN, else 0).",
            kind: Kind::Int { min: 0, max: 10_000 },
            message: "the averaging must be a whole number of steps from 0 (off) to 10000",
            group: "model",
        },
    ];

    fn check(&self) -> Vec<FieldError> {
        [("lr_g", self.lr_g), ("lr_d", self.lr_d)]
            .into_iter()
            .filter(|(_, lr)| *lr <= 0.0)
            .map(|(name, _)| error(name, Self::FIELDS))
            .collect()
    }
}

/// The field's own message, for a check beyond its range.
fn error(name: &str, fields: &'static [Field]) -> FieldError {
    let f = fields.iter().find(|f| f.name == name).expect("a declared field");
    FieldError::new(f.name, f.message)
}

/// Everything a GAN run is set up with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GanConfig {
    pub setup: GanSetup,
    pub live: GanLive,
}

/// What the settings must fit: the loaded data's `[channels, height, width]` and image count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DataFit {
    pub shape: [usize; 3],
    pub count: usize,
}

impl GanSetup {
    /// Why these settings cannot train on `data` (empty: they can).
    pub fn misfits(&self, data: DataFit) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(e) = self.model.check_shape(data.shape) {
            errors.push(FieldError::new("model", e));
        }
        let max_batch = data.count.min(1024);
        if self.batch_size > max_batch {
            errors.push(FieldError::new("batch_size", format!("batch size must be a whole number from 2 to {max_batch} (the data set has {} images)", data.count)));
        }
        errors
    }
}

impl GanConfig {
    /// Parses and checks a whole form (both parts); with `data`, also that the run fits it.
    pub fn parse(form: &Form, data: Option<DataFit>) -> Result<Self, Vec<FieldError>> {
        // The settings not in the form take the chosen model's defaults.
        let model_only: Form = form.iter().filter(|(k, _)| *k == "model").map(|(k, v)| (k.clone(), v.clone())).collect();
        let model = fields::parse::<GanSetup>(&model_only).map_or(GanSetup::default().model, |s| s.model);
        let defaults = GanConfig::for_model(model).to_form();
        let with_defaults: Form = defaults.into_iter().chain(form.iter().map(|(k, v)| (k.clone(), v.clone()))).collect();
        let setup = fields::parse::<GanSetup>(&with_defaults);
        let live = fields::parse::<GanLive>(&with_defaults);
        let mut errors: Vec<FieldError> = [setup.as_ref().err(), live.as_ref().err()].into_iter().flatten().flatten().cloned().collect();
        if let (Ok(setup), Some(data)) = (&setup, data) {
            errors.extend(setup.misfits(data));
        }
        match (setup, live) {
            (Ok(setup), Ok(live)) if errors.is_empty() => Ok(GanConfig { setup, live }),
            _ => Err(errors),
        }
    }

    /// The defaults for `model` (its noise length and learning rate differ).
    pub fn for_model(model: ModelKind) -> Self {
        GanConfig { setup: GanSetup::for_model(model), live: GanLive::for_model(model) }
    }

    /// The settings as the text of each field, both parts in one form.
    pub fn to_form(&self) -> Form {
        let mut form = fields::to_form(&self.setup);
        form.extend(fields::to_form(&self.live));
        form
    }
}

/// Where the style-transfer image starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    Content,
    Noise,
}

/// How the photo is repainted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A feed-forward network, in one pass ([`crate::instant`]).
    Instant,
    /// The lesson's optimisation of the image against VGG16 features ([`crate::style`]).
    Gatys,
}

/// Style transfer's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StyleConfig {
    pub method: Method,
    /// Longest side of the output, in pixels.
    pub size: u32,
    /// Instant: from the photo's own style (0) to the style image's (1).
    pub strength: f64,
    /// Instant, with a second style image: from the first style (0) to the second (1).
    pub blend: f64,
    pub content_weight: f64,
    pub style_weight: f64,
    pub tv_weight: f64,
    pub iterations: usize,
    pub init: Init,
    /// Transfer on luminance only: the output keeps the photo's colours.
    pub keep_colors: bool,
    /// Adam's step size, in [0, 1] image units.
    pub lr: f64,
    pub seed: u64,
}

impl Default for StyleConfig {
    fn default() -> Self {
        StyleConfig {
            method: Method::Instant,
            size: 256,
            strength: 1.0,
            blend: 0.5,
            content_weight: 1.0,
            style_weight: 10.0,
            tv_weight: 10.0,
            iterations: 200,
            init: Init::Content,
            keep_colors: false,
            lr: 0.02,
            seed: 7,
        }
    }
}

impl Settings for StyleConfig {
    const FIELDS: &'static [Field] = &[
        Field {
            name: "method",
            flag: "method",
            label: "Method",
            help: "instant: a feed-forward network repaints the photo in one pass (seconds); gatys: the lesson's method optimises the image against VGG16 features (minutes, live).",
            kind: Kind::Choice(|| vec![("instant", "Instant (one pass)"), ("gatys", "Gatys (the lesson's method)")]),
            message: "the method is \"instant\" or \"gatys\"",
            group: "style-method",
        },
        Field {
            name: "size",
            flag: "size",
            label: "Output size (longest side, px)",
            help: "The photo is resized to this longest side (instant: up to 1024). Gatys: 128 is a quick preview, 512 takes 4x as long as 256.",
            kind: Kind::Int { min: 16, max: 2048 },
            message: "size must be a whole number of pixels from 16 to 2048",
            group: "style",
        },
        Field {
            name: "strength",
            flag: "strength",
            label: "Strength (0 = the photo's own style)",
            help: "Instant: moves the style vector from the photo's own (0) to the style image's (1); changing it re-renders without predicting the style again.",
            kind: Kind::Slider { min: 0.0, max: 1.0, step: 0.05 },
            message: "strength must be a number from 0 to 1",
            group: "instant",
        },
        Field {
            name: "blend",
            flag: "blend",
            label: "Blend (0 = first style, 1 = second)",
            help: "Instant, with a second style image: mixes the two styles' vectors.",
            kind: Kind::Slider { min: 0.0, max: 1.0, step: 0.05 },
            message: "blend must be a number from 0 to 1",
            group: "instant",
        },
        Field {
            name: "content_weight",
            flag: "content-weight",
            label: "Content weight",
            help: "How closely the result keeps the photo's features (relu4_2).",
            kind: Kind::Float { min: 0.0, max: 1e4 },
            message: "must be a number from 0 to 10000",
            group: "gatys",
        },
        Field {
            name: "style_weight",
            flag: "style-weight",
            label: "Style weight",
            help: "How closely the result matches the style image's Gram matrices (relu1_1 to relu5_1).",
            kind: Kind::Float { min: 0.0, max: 1e6 },
            message: "must be a number from 0 to 1000000",
            group: "gatys",
        },
        Field {
            name: "tv_weight",
            flag: "tv-weight",
            label: "Smoothness (total variation) weight",
            help: "Penalises differences between neighbouring pixels.",
            kind: Kind::Float { min: 0.0, max: 1e6 },
            message: "must be a number from 0 to 1000000",
            group: "gatys",
        },
        Field {
            name: "iterations",
            flag: "iterations",
            label: "Iterations",
            help: "Adam steps on the image.",
            kind: Kind::Int { min: 1, max: 5000 },
            message: "must be a whole number from 1 to 5000",
            group: "gatys",
        },
        Field {
            name: "init",
            flag: "init",
            label: "Start from",
            help: "content: the photo itself; noise: grey noise.",
            kind: Kind::Choice(|| vec![("content", "the content photo"), ("noise", "noise")]),
            message: "start from \"content\" or \"noise\"",
            group: "gatys",
        },
        Field {
            name: "keep_colors",
            flag: "keep-colors",
            label: "Keep the photo's colours (style on luminance only)",
            help: "Transfers the style on luminance only and keeps the photo's colours.",
            kind: Kind::Bool,
            message: "keeping colours is on (true) or off (false)",
            group: "style",
        },
        Field {
            name: "lr",
            flag: "lr",
            label: "Step size",
            help: "Adam's step size on the image, in 0..1 pixel units.",
            kind: Kind::Float { min: 1e-4, max: 1.0 },
            message: "the step size must be a number from 0.0001 to 1",
            group: "gatys",
        },
    ];

    fn check(&self) -> Vec<FieldError> {
        let mut errors = vec![];
        if self.method == Method::Instant && self.size > crate::instant::MAX_SIDE {
            errors.push(FieldError::new("size", format!("instant style goes up to {} px", crate::instant::MAX_SIDE)));
        }
        if self.content_weight == 0.0 && self.style_weight == 0.0 {
            errors.push(FieldError::new("style_weight", "content and style weights cannot both be 0"));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_round_trip_through_their_form() {
        let c = GanConfig::default();
        assert_eq!(GanConfig::parse(&c.to_form(), None).unwrap(), c);
        let s = StyleConfig::default();
        assert_eq!(fields::parse::<StyleConfig>(&fields::to_form(&s)).unwrap(), s);
    }

    #[test]
    fn learning_rates_left_out_follow_the_model() {
        let tiny = GanConfig::parse(&form(&[("model", "tiny")]), None).unwrap();
        assert_eq!((tiny.live.lr_g, tiny.live.lr_d), (1e-3, 1e-3));
        let lesson = GanConfig::parse(&form(&[("model", "dcgan")]), None).unwrap();
        assert_eq!((lesson.live.lr_g, lesson.live.lr_d), (2e-4, 2e-4));
        // A rate given is the one used.
        let mixed = GanConfig::parse(&form(&[("model", "tiny"), ("lr_g", "2e-4")]), None).unwrap();
        assert_eq!((mixed.live.lr_g, mixed.live.lr_d), (2e-4, 1e-3));
        assert_eq!(mixed.live.real_label, GanLive::default().real_label);
    }

    #[test]
    fn averaging_left_out_follows_the_model() {
        assert_eq!(GanConfig::parse(&form(&[("model", "tiny")]), None).unwrap().live.average, 100);
        assert_eq!(GanConfig::parse(&form(&[("model", "dcgan")]), None).unwrap().live.average, 0);
        assert_eq!(GanConfig::parse(&form(&[("model", "tiny"), ("average", "0")]), None).unwrap().live.average, 0);
        let errs = GanConfig::parse(&form(&[("model", "tiny"), ("average", "-1")]), None).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field).collect::<Vec<_>>(), ["average"]);
    }

    #[test]
    fn latent_size_left_out_follows_the_model() {
        let tiny = GanConfig::parse(&form(&[("model", "tiny")]), None).unwrap();
        assert_eq!(tiny.setup.latent, 32);
        assert_eq!(GanConfig::parse(&form(&[("model", "dcgan")]), None).unwrap().setup.latent, 100);
        assert_eq!(GanConfig::parse(&form(&[("model", "tiny"), ("latent", "64")]), None).unwrap().setup.latent, 64);
        // The tiny DCGAN's last 10 numbers of z are its category: it needs more than 10.
        let errs = GanConfig::parse(&form(&[("model", "tiny"), ("latent", "10")]), None).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "latent");
        assert!(errs[0].message.contains("above 10"), "{}", errs[0].message);
        assert!(GanConfig::parse(&form(&[("model", "dense"), ("latent", "1")]), None).is_ok());
    }

    #[test]
    fn checks_beyond_the_range() {
        let errs = GanConfig::parse(&form(&[("lr_g", "0"), ("beta1", "1")]), None).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["beta1", "lr_g"]);
        let mnist = DataFit { shape: [1, 28, 28], count: 10 };
        let errs = GanConfig::parse(&form(&[("model", "dcgan64"), ("batch_size", "11")]), Some(mnist)).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field).collect::<Vec<_>>(), ["model", "batch_size"]);
        assert!(errs[1].message.contains("from 2 to 10"), "{}", errs[1].message);
        let both = fields::parse::<StyleConfig>(&form(&[("content_weight", "0"), ("style_weight", "0")])).unwrap_err();
        assert_eq!(both[0].field, "style_weight");
    }
}
