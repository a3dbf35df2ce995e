"""Exercises of `06_autoencoders.ipynb` and `08_gan.ipynb` (Spanish); see `core`."""

import math

import numpy as np

from secuah_dl.grading.core import (
    Case,
    Exercise,
    NotAnswered,
    call_answer,
    not_a_model,
)
from secuah_dl.grading.probes import activation_after, describe_model, floats, to_numpy

AUTOENCODERS = "06_autoencoders.ipynb"
GAN = "08_gan.ipynb"


def _own(answer):
    """Refuses the package's own functions handed in as answers."""
    if getattr(answer, "__module__", "").startswith("secuah_dl"):
        raise NotAnswered(
            f"Has entregado `{answer.__module__}.{answer.__name__}`, una función del "
            "propio paquete: escribe tú el código."
        )
    return answer


def _array(value):
    """`value` as a float64 array (a float when 0-d), or None when not numbers."""
    array = floats(value)
    if array is None or array.ndim:
        return array
    return float(array)  # the wire makes 0-d arrays 1-d


def _close(got, expected):
    got = None if got is None else np.asarray(got, dtype="float64")
    return (
        got is not None
        and got.shape == np.shape(expected)
        and bool(np.allclose(got, expected, rtol=1e-4, atol=1e-5))
    )


def _intact(given, originals):
    """Whether the arrays handed to the answer still hold their values."""
    return all(
        isinstance(a, np.ndarray) and np.array_equal(a, b)
        for a, b in zip(given, originals)
    )


def _intact_case(data, names):
    """The case "the caller's arrays are left as they were"."""
    return Case(
        "no modifica los arrays que recibe",
        isinstance(data, dict) and data.get("intact") is True,
        f"No cambies {names} dentro de la función (`+=`, `-=`, `out=`): quien la "
        "llama los sigue usando. Calcula el resultado en un array nuevo.",
        weight=0.5,
    )


def _layers(description, *types):
    """[(op, activation after it)] of the ops of `types`, in order."""
    ops = description.get("ops") or []
    return [
        (op, activation_after(description, i))
        for i, op in enumerate(ops)
        if op.get("type") in types
    ]


def _strided(description, kind):
    """[(filters, kernel_size, strides, padding, activation)] of the `kind` ops."""
    keys = ("filters", "kernel_size", "strides", "padding")
    return [(*(op.get(k) for k in keys), act) for op, act in _layers(description, kind)]


def _slope_wrong(description):
    """Whether a LeakyReLU has a slope other than 0.2 (Keras 3's `LeakyReLU()` is 0.3)."""
    return any(
        abs(op.get("negative_slope", 0.2) - 0.2) > 1e-6
        for op in description.get("ops") or []
        if op.get("name") == "leaky_relu"
    )


_SLOPE_HINT = (
    "Escribe la pendiente: layers.LeakyReLU(0.2) (sin argumento, en Keras 3 es 0.3)."
)


def _model_or_none(answer, *args):
    import keras

    model = call_answer(_own(answer), *args)
    return model if isinstance(model, keras.Model) else None


# ---------------------------------------------------------------- ae_denso


def _ae_configs(seed):
    rng = np.random.default_rng(seed)
    first = [(64, 32), (128, 64), (96, 48, 24)][rng.integers(3)]
    return [
        ((28, 28, 1), int(rng.integers(2, 5)), first),
        ((12, 12, 1), int(rng.integers(5, 9)), (int(rng.choice([16, 24, 32])),)),
    ]


def _dense_params(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _probe_ae_denso(answer, seed):
    import keras

    found = []
    for shape, latent, units in _ae_configs(seed):
        model = _model_or_none(answer, shape, latent, units)
        if model is None:
            return {"model": False}
        entry = {"model": describe_model(model), "named": True}
        nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
        for i, name in enumerate(("encoder", "decoder")):
            try:
                entry[name] = describe_model(model.get_layer(name))
            except ValueError:  # other names: judge the two submodels, in order
                entry["named"] = False
                entry[name] = describe_model(nested[i]) if len(nested) == 2 else None
        images = np.random.default_rng(seed).random((4, *shape)).astype("float32")
        entry["outputs"] = to_numpy(model(images, training=False)).astype("float64")
        found.append(entry)
    return {"model": True, "configs": found}


def _judge_ae_denso(data, seed):
    if not isinstance(data, dict) or not data.get("model"):
        return not_a_model("Termina con `return model`.")
    nested = encoder_ok = decoder_ok = params_ok = compiled = True
    relu_code = sigmoid_missing = not_reversed = False
    for (shape, latent, units), entry in zip(_ae_configs(seed), data["configs"]):
        encoder, decoder = entry.get("encoder"), entry.get("decoder")
        nested &= entry.get("named") is not False
        if not encoder or not decoder:
            nested = encoder_ok = decoder_ok = params_ok = False
            continue
        size = math.prod(shape)
        got_encoder = [(op.get("units"), act) for op, act in _layers(encoder, "Dense")]
        want_encoder = [(u, "relu") for u in units] + [(latent, "linear")]
        encoder_ok &= got_encoder == want_encoder and encoder.get("outputs") == [
            [-1, latent]
        ]
        relu_code |= got_encoder[-1:] == [(latent, "relu")]
        got_decoder = [(op.get("units"), act) for op, act in _layers(decoder, "Dense")]
        want_decoder = [(u, "relu") for u in reversed(units)] + [(size, "sigmoid")]
        outputs = np.asarray(entry.get("outputs"))
        decoder_ok &= (
            got_decoder == want_decoder
            and outputs.shape == (4, *shape)
            and bool(np.all((outputs >= 0) & (outputs <= 1)))
        )
        sigmoid_missing |= bool(got_decoder) and got_decoder[-1] != (size, "sigmoid")
        not_reversed |= (
            [u for u, _ in got_decoder[:-1]] == list(units) != list(reversed(units))
        )
        sizes = [size, *units, latent]
        params_ok &= encoder.get("params") == _dense_params(sizes) and decoder.get(
            "params"
        ) == _dense_params(sizes[::-1])
        info = entry["model"]
        compiled &= bool(
            info.get("compiled")
            and (info.get("optimizer") or {}).get("class") == "Adam"
            and info.get("loss") == "binary_crossentropy"
        )
    if relu_code:
        encoder_hint = "El código (la última Dense del codificador, de dim_latente unidades) es lineal: sin activación."
    else:
        encoder_hint = "Codificador: Flatten y una Dense(u, activation='relu') por cada u de `unidades`, y luego Dense(dim_latente) lineal."
    if sigmoid_missing:
        decoder_hint = "La última capa del decodificador es Dense(alto·ancho·canales, activation='sigmoid'): píxeles en [0, 1]."
    elif not_reversed:
        decoder_hint = (
            "El decodificador recorre `unidades` en orden inverso: reversed(unidades)."
        )
    else:
        decoder_hint = "Decodificador: Dense(u, relu) por cada u de reversed(unidades), Dense(alto·ancho·canales, sigmoid) y Reshape(forma)."
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            "contiene los submodelos 'encoder' y 'decoder'",
            nested,
            "Crea dos keras.Model con name='encoder' y name='decoder' y encadénalos: decoder(encoder(x)).",
        ),
        Case(
            "codificador: Dense relu y código lineal",
            encoder_ok,
            encoder_hint,
            weight=2.0,
        ),
        Case(
            "decodificador simétrico con salida sigmoid",
            decoder_ok,
            decoder_hint,
            weight=2.0,
        ),
        Case(
            "número de parámetros",
            params_ok,
            decoder_hint
            if not_reversed
            else "Sólo capas Dense (y Flatten/Reshape, sin parámetros) en el codificador y el decodificador.",
        ),
        Case(
            "compilado con Adam y binary_crossentropy",
            compiled,
            "compílalo: model.compile(optimizer='adam', loss='binary_crossentropy').",
        ),
    ]


# ---------------------------------------------------------------- vae_muestreo


def _vae_inputs(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    return (
        rng.normal(size=(n, d)) * scale,
        rng.normal(size=(n, d)),
        rng.normal(size=(n, d)),
    )


def _probe_vae_muestreo(answer, seed):
    z_mean, z_log_var, epsilon = _vae_inputs(seed)
    answer = _own(answer)
    given = [z_mean.copy(), z_log_var.copy(), epsilon.copy()]
    z = _array(call_answer(answer, *given))
    return {
        "z": z,
        "intact": _intact(given, [z_mean, z_log_var, epsilon]),
        "zero": _array(
            call_answer(answer, z_mean.copy(), z_log_var.copy(), np.zeros_like(z_mean))
        ),
    }


def _judge_vae_muestreo(data, seed):
    z_mean, z_log_var, epsilon = _vae_inputs(seed)
    got = data.get("z") if isinstance(data, dict) else None
    if _close(got, z_mean + np.exp(z_log_var) * epsilon):
        hint = "La desviación típica es exp(0.5 · log_var), no exp(log_var)."
    elif _close(got, z_mean + z_log_var * epsilon):
        hint = "z_log_var es el LOGARITMO de la varianza: la desviación típica es exp(0.5 · z_log_var)."
    else:
        hint = "Truco de reparametrización: z = z_mean + σ · ε con σ = exp(0.5 · z_log_var)."
    return [
        Case(
            "z = μ + σ·ε",
            _close(got, z_mean + np.exp(0.5 * z_log_var) * epsilon),
            hint,
            weight=2.0,
        ),
        Case(
            "con ε = 0 devuelve la media",
            _close(data.get("zero") if isinstance(data, dict) else None, z_mean),
            "Con ε = 0 el ruido desaparece y z debe ser exactamente z_mean.",
        ),
        _intact_case(data, "z_mean, z_log_var ni epsilon"),
    ]


# ---------------------------------------------------------------- vae_kl


def _probe_vae_kl(answer, seed):
    z_mean, z_log_var, _ = _vae_inputs(seed)
    answer = _own(answer)
    return {
        "kl": _array(call_answer(answer, z_mean.copy(), z_log_var.copy())),
        "standard": _array(
            call_answer(answer, np.zeros_like(z_mean), np.zeros_like(z_log_var))
        ),
    }


def _judge_vae_kl(data, seed):
    z_mean, z_log_var, _ = _vae_inputs(seed)
    terms = -0.5 * (1 + z_log_var - z_mean**2 - np.exp(z_log_var))
    got = data.get("kl") if isinstance(data, dict) else None
    scalar = got is not None and np.ndim(got) == 0
    expected = terms.sum(axis=1).mean()
    if scalar and np.isclose(got, -expected):
        hint = (
            "Falta el signo: KL = -0.5 · Σ(1 + log σ² - μ² - σ²), que es siempre ≥ 0."
        )
    elif scalar and np.isclose(got, terms.mean()):
        hint = "Suma sobre las dimensiones latentes (axis=1) y luego promedia sobre el lote."
    elif got is not None and np.shape(got) == (len(z_mean),):
        hint = "Devuelve un escalar: promedia sobre el lote."
    else:
        hint = "KL(N(μ, σ²) ‖ N(0, 1)) = -0.5 · Σ (1 + log σ² - μ² - σ²) por ejemplo, promediada en el lote."
    standard = data.get("standard") if isinstance(data, dict) else None
    return [
        Case(
            "devuelve un número (la media del lote)",
            scalar,
            "Devuelve un escalar: promedia sobre el lote.",
        ),
        Case(
            "coincide con la fórmula",
            scalar and np.isclose(got, expected),
            hint,
            weight=2.0,
        ),
        Case(
            "KL = 0 cuando la codificación ya es N(0, 1)",
            standard is not None
            and np.ndim(standard) == 0
            and abs(float(standard)) < 1e-9,
            "Con μ = 0 y log σ² = 0 la divergencia debe ser exactamente 0.",
        ),
    ]


# ---------------------------------------------------------------- ae_residuos


def _residual_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 9))
    return rng.random((n, 6, 6, 1)), rng.random((n, 6, 6, 1))


def _probe_ae_residuos(answer, seed):
    x, rebuilt = _residual_inputs(seed)
    answer = _own(answer)
    given = [x.copy(), rebuilt.copy()]
    images = _array(call_answer(answer, *given))
    intact = _intact(given, [x, rebuilt])
    try:
        vectors = _array(
            call_answer(answer, x.reshape(len(x), -1), rebuilt.reshape(len(x), -1))
        )
    except Exception:  # noqa: BLE001 - a case of its own, not a crash of the check
        vectors = None
    return {"images": images, "vectors": vectors, "intact": intact}


def _judge_ae_residuos(data, seed):
    x, rebuilt = _residual_inputs(seed)
    expected = ((x - rebuilt) ** 2).reshape(len(x), -1).sum(axis=1)
    got = data.get("images") if isinstance(data, dict) else None
    vectors = data.get("vectors") if isinstance(data, dict) else None
    shaped = got is not None and np.shape(got) == (len(x),)
    if shaped and _close(got, expected / x[0].size):
        hint = (
            "Eleva al cuadrado la diferencia y SUMA (no promedies, no hagas la raíz)."
        )
    elif shaped and _close(got, np.sqrt(expected)):
        hint = "r = ||x − x̂||² es la norma AL CUADRADO: no hagas la raíz."
    else:
        hint = "Eleva al cuadrado la diferencia y SUMA sobre todos los ejes menos el primero."
    return [
        Case(
            "un residuo por imagen",
            shaped,
            "Devuelve un valor por imagen: suma sobre todos los ejes menos el primero.",
        ),
        Case("r = ||x − x̂||²", shaped and _close(got, expected), hint, weight=2.0),
        Case(
            "funciona también con vectores (n, 36)",
            _close(vectors, expected),
            hint  # it runs on vectors, the value is what is wrong
            if np.shape(vectors) == (len(x),)
            else "No supongas imágenes 4-D: aplana cada ejemplo (reshape(len(x), -1)).",
        ),
        _intact_case(data, "x ni x_reconstruida"),
    ]


# ---------------------------------------------------------------- gan_generador


def _generator_configs(seed):
    rng = np.random.default_rng(seed)
    pairs = [(32, 16), (16, 8), (24, 12), (8, 4)]
    first, second = rng.choice(len(pairs), 2, replace=False)
    return [
        (int(rng.choice([16, 32, 64])), pairs[first]),
        (int(rng.choice([8, 20])), pairs[second]),
    ]


def _probe_gan_generador(answer, seed):
    found = []
    for latent, filters in _generator_configs(seed):
        model = _model_or_none(answer, latent, filters)
        if model is None:
            return {"model": False}
        noise = np.random.default_rng(seed).normal(size=(3, latent)).astype("float32")
        found.append(
            {
                "description": describe_model(model, (latent,)),
                "outputs": to_numpy(model(noise, training=False)).astype("float64"),
            }
        )
    return {"model": True, "configs": found}


def _generator_params(latent, filters):
    first, second = filters
    return (
        latent * 49 * first
        + 49 * first
        + 16 * first * first
        + first
        + 16 * first * second
        + second
        + 49 * second
        + 1
    )


def _judge_gan_generador(data, seed):
    if not isinstance(data, dict) or not data.get("model"):
        return not_a_model("Termina con `return model`.")
    start_ok = upsample_ok = output_ok = params_ok = True
    sigmoid_missing = leaky_missing = slope_wrong = False
    for (latent, (first, second)), entry in zip(
        _generator_configs(seed), data["configs"]
    ):
        description = entry["description"]
        dense = _layers(description, "Dense")
        reshape = _layers(description, "Reshape")
        start_ok &= (
            [(op.get("units"), act) for op, act in dense]
            == [(49 * first, "leaky_relu")]
            and len(reshape) == 1
            and list(reshape[0][0].get("target_shape") or []) == [7, 7, first]
        )
        got = _strided(description, "Conv2DTranspose")
        upsample_ok &= got == [
            (count, [4, 4], [2, 2], "same", "leaky_relu") for count in (first, second)
        ]
        leaky_missing |= any(act != "leaky_relu" for *_, act in got)
        slope_wrong |= _slope_wrong(description)
        convs = _layers(description, "Conv2D")
        outputs = np.asarray(entry.get("outputs"))
        last = [
            (op.get("filters"), op.get("kernel_size"), op.get("padding"), act)
            for op, act in convs
        ]
        output_ok &= (
            last == [(1, [7, 7], "same", "sigmoid")]
            and outputs.shape == (3, 28, 28, 1)
            and bool(np.all((outputs >= 0) & (outputs <= 1)))
        )
        sigmoid_missing |= bool(last) and last[-1][-1] != "sigmoid"
        params_ok &= description.get("params") == _generator_params(
            latent, (first, second)
        )
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            "Dense(7·7·filtros[0]) + LeakyReLU + Reshape((7, 7, filtros[0]))",
            start_ok,
            "Empieza con layers.Dense(7 * 7 * filtros[0]), layers.LeakyReLU(0.2) y "
            "layers.Reshape((7, 7, filtros[0])).",
        ),
        Case(
            "dos Conv2DTranspose(f, 4, strides=2, padding='same') con LeakyReLU",
            upsample_ok and not slope_wrong,
            "Cada LeakyReLU(0.2) va detrás de su Conv2DTranspose."
            if leaky_missing
            else _SLOPE_HINT
            if slope_wrong
            else "Cada Conv2DTranspose(f, 4, strides=2, padding='same') duplica alto y "
            "ancho: 7 → 14 → 28, con f = filtros[0] y luego filtros[1].",
            weight=2.0,
        ),
        Case(
            "salida Conv2D(1, 7, sigmoid) de 28×28×1 en [0, 1]",
            output_ok,
            "La última capa es layers.Conv2D(1, 7, padding='same', activation='sigmoid'): "
            "una imagen de píxeles en [0, 1]."
            if sigmoid_missing
            else "Termina con layers.Conv2D(1, 7, padding='same', activation='sigmoid').",
        ),
        Case(
            "número de parámetros",
            params_ok,
            "Revisa las capas y sus tamaños: el número de parámetros no coincide.",
        ),
    ]


# ---------------------------------------------------------------- gan_discriminador


def _discriminator_configs(seed):
    rng = np.random.default_rng(seed)
    pairs = [(16, 32), (8, 16), (12, 24), (32, 64)]
    first, second = rng.choice(len(pairs), 2, replace=False)
    return [pairs[first], pairs[second]]


def _probe_gan_discriminador(answer, seed):
    found = []
    images = np.random.default_rng(seed).random((3, 28, 28, 1)).astype("float32")
    for filters in _discriminator_configs(seed):
        model = _model_or_none(answer, filters)
        if model is None:
            return {"model": False}
        found.append(
            {
                "description": describe_model(model, (28, 28, 1)),
                "outputs": to_numpy(model(images, training=False)).astype("float64"),
            }
        )
    return {"model": True, "configs": found}


def _judge_gan_discriminador(data, seed):
    if not isinstance(data, dict) or not data.get("model"):
        return not_a_model("Termina con `return model`.")
    convs_ok = logit_ok = params_ok = True
    sigmoid = slope_wrong = False
    for (first, second), entry in zip(_discriminator_configs(seed), data["configs"]):
        description = entry["description"]
        got = _strided(description, "Conv2D")
        convs_ok &= got == [
            (count, [4, 4], [2, 2], "same", "leaky_relu") for count in (first, second)
        ]
        slope_wrong |= _slope_wrong(description)
        dropouts = [op.get("rate") for op, _ in _layers(description, "Dropout")]
        dense = _layers(description, "Dense")
        outputs = np.asarray(entry.get("outputs"))
        logit_ok &= [(op.get("units"), act) for op, act in dense] == [
            (1, "linear")
        ] and outputs.shape == (3, 1)
        logit_ok &= len(dropouts) == 1 and abs((dropouts[0] or 0) - 0.3) < 1e-9
        sigmoid |= bool(dense) and dense[-1][1] == "sigmoid"
        weights = 16 * first + 16 * first * second + 49 * second + 1
        params_ok &= description.get("params") in (weights, weights + first + second)
    return [
        Case("devuelve un modelo de Keras", True),
        Case(
            "dos Conv2D(f, 4, strides=2, padding='same') con LeakyReLU",
            convs_ok and not slope_wrong,
            _SLOPE_HINT
            if slope_wrong and convs_ok
            else "Cada Conv2D(f, 4, strides=2, padding='same') va seguida de LeakyReLU(0.2); "
            "f = filtros[0] y luego filtros[1].",
            weight=2.0,
        ),
        Case(
            "Flatten, Dropout(0.3) y un logit por imagen: Dense(1) sin activación",
            logit_ok,
            "Devuelve logits: la última Dense(1) sin activación (las pérdidas usan from_logits=True)."
            if sigmoid
            else "Termina con layers.Flatten(), layers.Dropout(0.3) y layers.Dense(1).",
        ),
        Case(
            "número de parámetros",
            params_ok,
            "Revisa las capas: el número de parámetros no coincide.",
        ),
    ]


# ---------------------------------------------------------------- gan_perdidas


def _softplus(x):
    return np.logaddexp(0.0, x)


def _gan_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 10))
    return [
        (rng.normal(1.0, 2.0, (n, 1)), rng.normal(-1.0, 2.0, (n, 1))),
        (rng.normal(0.0, 1.0, (n + 2, 1)), rng.normal(0.5, 1.0, (n + 2, 1))),
    ]


def _gan_losses(real, fake):
    return [
        _softplus(-real).mean() + _softplus(fake).mean(),
        _softplus(-fake).mean(),
    ]


def _probe_gan_perdidas(answer, seed):
    answer = _own(answer)
    found = []
    for real, fake in _gan_inputs(seed):
        got = call_answer(answer, real.astype("float32"), fake.astype("float32"))
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            found.append(None)
            continue
        found.append([_array(value) for value in got])
    return found


def _judge_gan_perdidas(data, seed):
    cases = _gan_inputs(seed)
    if not isinstance(data, list) or len(data) != len(cases) or None in data:
        return [
            Case(
                "devuelve (pérdida del discriminador, pérdida del generador)",
                False,
                "Devuelve una tupla de dos números: return perdida_d, perdida_g.",
            )
        ]
    d_ok = g_ok = True
    saturating = swapped = probabilities = halved = False
    for (real, fake), got in zip(cases, data):
        d, g = (
            float(np.reshape(v, -1)[0]) if v is not None and np.size(v) == 1 else None
            for v in got
        )
        want_d, want_g = _gan_losses(real, fake)
        d_ok &= d is not None and np.isclose(d, want_d, rtol=1e-4)
        g_ok &= g is not None and np.isclose(g, want_g, rtol=1e-4)
        if g is not None:
            saturating |= np.isclose(g, -_softplus(fake).mean(), rtol=1e-4)
        if d is not None:
            swapped |= np.isclose(
                d, _softplus(real).mean() + _softplus(-fake).mean(), rtol=1e-4
            )
            halved |= np.isclose(d, want_d / 2, rtol=1e-4)
            p_real, p_fake = np.clip([real, fake], 1e-7, 1 - 1e-7)
            as_probabilities = -np.log(p_real).mean() - np.log(1 - p_fake).mean()
            probabilities |= np.isclose(d, as_probabilities, rtol=1e-3)
    if swapped:
        d_hint = "Las imágenes reales llevan etiqueta 1 y las generadas 0 (para el discriminador)."
    elif halved:
        d_hint = "Suma las dos medias (reales y generadas), no las promedies."
    elif probabilities:
        d_hint = (
            "Las salidas son logits: usa from_logits=True (o la fórmula con softplus)."
        )
    else:
        d_hint = "perdida_d = BCE(1, logits_reales) + BCE(0, logits_falsos), cada una promediada en el lote."
    g_hint = (
        "Usa la pérdida NO saturante del generador: BCE(1, logits_falsos), no −BCE(0, logits_falsos)."
        if saturating
        else "perdida_g = BCE(1, logits_falsos): el generador quiere que el discriminador diga «real»."
    )
    return [
        Case("devuelve (pérdida del discriminador, pérdida del generador)", True),
        Case("pérdida del discriminador", d_ok, d_hint, weight=2.0),
        Case("pérdida del generador (no saturante)", g_ok, g_hint, weight=2.0),
    ]


EXERCISES = [
    Exercise(
        "ae_denso",
        AUTOENCODERS,
        "Escribe `construir_autoencoder(forma, dim_latente, unidades)` que devuelva el "
        "autoencoder denso **compilado** (Adam, `binary_crossentropy`): un modelo con dos "
        "submodelos, `name='encoder'` (Flatten, una `Dense(u, relu)` por cada `u` de "
        "`unidades`, `Dense(dim_latente)` lineal) y `name='decoder'` (una `Dense(u, relu)` "
        "por cada `u` de `unidades` en orden inverso, `Dense(alto·ancho·canales, "
        "sigmoid)` y `Reshape(forma)`).",
        3,
        "construir_autoencoder",
        _probe_ae_denso,
        _judge_ae_denso,
        kind="modelo",
    ),
    Exercise(
        "vae_muestreo",
        AUTOENCODERS,
        "Escribe `muestreo(z_mean, z_log_var, epsilon)`: el truco de reparametrización del "
        "VAE, z = z_mean + exp(0.5 · z_log_var) · epsilon (NumPy o `keras.ops`).",
        2,
        "muestreo",
        _probe_vae_muestreo,
        _judge_vae_muestreo,
    ),
    Exercise(
        "vae_kl",
        AUTOENCODERS,
        "Escribe `divergencia_kl(z_mean, z_log_var)`: el término KL de la pérdida del VAE, "
        "sumado sobre las dimensiones latentes y promediado sobre el lote (un número).",
        2,
        "divergencia_kl",
        _probe_vae_kl,
        _judge_vae_kl,
    ),
    Exercise(
        "ae_residuos",
        AUTOENCODERS,
        "Escribe `residuos(x, x_reconstruida)`: el error de reconstrucción r = ||x − x̂||² "
        "de cada ejemplo (un valor por fila, sea cual sea la forma de cada ejemplo).",
        2,
        "residuos",
        _probe_ae_residuos,
        _judge_ae_residuos,
    ),
    Exercise(
        "gan_generador",
        GAN,
        "Escribe `construir_generador(dim_latente, filtros)` que devuelva el generador "
        "(sin compilar) para imágenes de 28×28×1: `Dense(7·7·filtros[0])`, "
        "`LeakyReLU(0.2)`, `Reshape((7, 7, filtros[0]))`, y para `f` en `filtros` una "
        "`Conv2DTranspose(f, 4, strides=2, padding='same')` + `LeakyReLU(0.2)`; al final "
        "`Conv2D(1, 7, padding='same', activation='sigmoid')`.",
        3,
        "construir_generador",
        _probe_gan_generador,
        _judge_gan_generador,
        kind="modelo",
    ),
    Exercise(
        "gan_discriminador",
        GAN,
        "Escribe `construir_discriminador(filtros)` que devuelva el discriminador (sin "
        "compilar) para imágenes de 28×28×1: para `f` en `filtros` una `Conv2D(f, 4, "
        "strides=2, padding='same', use_bias=False)` + `LeakyReLU(0.2)`; después "
        "`Flatten()`, `Dropout(0.3)` y `Dense(1)` sin activación (un logit). Con sesgo "
        "en las `Conv2D` también vale.",
        2,
        "construir_discriminador",
        _probe_gan_discriminador,
        _judge_gan_discriminador,
        kind="modelo",
    ),
    Exercise(
        "gan_perdidas",
        GAN,
        "Escribe `perdidas_gan(logits_reales, logits_falsos)` que devuelva la tupla "
        "`(perdida_d, perdida_g)`: la del discriminador, BCE(1, reales) + BCE(0, falsos), "
        "y la del generador (no saturante), BCE(1, falsos); entropías cruzadas binarias "
        "sobre logits, cada una promediada en el lote.",
        3,
        "perdidas_gan",
        _probe_gan_perdidas,
        _judge_gan_perdidas,
    ),
]
