"""Exercises of `07_motor_cc.ipynb` (statements in Spanish); see `core`."""

import numpy as np

from secuah_dl.grading import probes
from secuah_dl.grading.core import Case, Exercise, call_answer, not_a_model

WORKBOOK = "07_motor_cc.ipynb"


def _pair(got):
    try:
        first, second = got
        return [np.asarray(first, dtype="float64"), np.asarray(second, dtype="float64")]
    except (TypeError, ValueError):
        return [None, None]


# --- motor_espectro ---------------------------------------------------------------


def _signals(seed):
    rng = np.random.default_rng(seed)
    size, fs = 512, 2000.0
    bins = rng.choice(np.arange(10, 200), 2, replace=False)
    amplitudes = rng.uniform(0.5, 2.0, 2)
    time_s = np.arange(size) / fs
    tone = sum(
        a * np.cos(2 * np.pi * b * fs / size * time_s) for a, b in zip(amplitudes, bins)
    )
    main = 3.0 + tone + rng.normal(0, 0.05, size)
    other = rng.normal(size=200)
    return (main, fs, bins, amplitudes), (other, 100.0)


def _probe_espectro(answer, seed):
    (main, fs, _, _), (other, other_fs) = _signals(seed)
    return {
        "main": _pair(call_answer(answer, main.copy(), fs)),
        "other": _pair(call_answer(answer, other.copy(), other_fs)),
    }


def _spectrum(values, fs):
    amplitude = 2 * np.abs(np.fft.rfft(values)) / len(values)
    return np.fft.rfftfreq(len(values), 1 / fs), amplitude


def _judge_espectro(data, seed):
    (main, fs, bins, amplitudes), (other, other_fs) = _signals(seed)
    frequencies, amplitude = data["main"]
    expected_f, expected_a = _spectrum(main, fs)
    inner = slice(1, len(expected_a) - 1)  # DC and Nyquist: 1/N or 2/N both fine
    shaped = amplitude is not None and amplitude.shape == expected_a.shape
    if shaped and np.allclose(amplitude[inner], expected_a[inner] / 2):
        hint = "Espectro de un solo lado: multiplica |rfft| por 2/N (la mitad de la energía está en las frecuencias negativas)."
    elif shaped and any(
        np.allclose(amplitude[inner], expected_a[inner] * len(main) * k)
        for k in (0.5, 1)
    ):
        hint = "Normaliza: amplitud = 2·|rfft(señal)| / N, con N el número de muestras."
    else:
        hint = "amplitud = 2·|np.fft.rfft(senal)| / N: un coseno de amplitud A da un pico de altura A."
    other_f, other_a = data["other"]
    expected_of, expected_oa = _spectrum(other, other_fs)
    frequencies_ok = (
        frequencies is not None
        and frequencies.shape == expected_f.shape
        and np.allclose(frequencies, expected_f)
    )
    amplitude_ok = (
        shaped
        and np.allclose(amplitude[bins], amplitudes, rtol=0.05)
        and np.allclose(amplitude[inner], expected_a[inner], rtol=1e-4, atol=1e-6)
    )
    return [
        Case(
            "frecuencias en Hz de 0 a fs/2",
            frequencies_ok,
            "Usa np.fft.rfftfreq(N, d=1/fs): N//2 + 1 frecuencias, de 0 a fs/2.",
        ),
        Case(
            "un coseno de amplitud A da un pico de altura A",
            amplitude_ok,
            hint,
            weight=2.0,
        ),
        Case(
            "usa la frecuencia de muestreo y la longitud de la señal",
            other_f is not None
            and other_f.shape == expected_of.shape
            and np.allclose(other_f, expected_of)
            and other_a.shape == expected_oa.shape
            and np.allclose(other_a[1:-1], expected_oa[1:-1], rtol=1e-4, atol=1e-6),
            "No fijes fs ni N: tómalos de los argumentos (N = len(senal))."
            if frequencies_ok and amplitude_ok
            else "Con otra señal (N = 200, fs = 100 Hz) falla lo mismo que arriba.",
        ),
    ]


# --- motor_modelo -------------------------------------------------------------------


def _shapes(seed):
    return [(1024, 4), (int(np.random.default_rng(seed).choice([512, 768])), 3)]


def _probe_modelo(answer, seed):
    import keras

    seen = {}
    for length, classes in _shapes(seed):
        model = call_answer(answer, length, classes)
        if not isinstance(model, keras.Model):
            return {"model": None}
        batch = (
            np.random.default_rng(seed).normal(size=(2, length, 1)).astype("float32")
        )
        try:
            output = probes.to_numpy(model(batch))
        except Exception:  # noqa: BLE001 - a model that cannot take the windows
            output = None
        seen[f"{length}_{classes}"] = {
            "model": probes.describe_model(model, (length, 1)),
            "output": output,
        }
    return seen


def _params(classes):
    return (256 * 8 + 8) + (8 * classes + classes)


def _judge_modelo(data, seed):
    (length, classes), (other_length, other_classes) = _shapes(seed)
    found = data.get(f"{length}_{classes}")
    if not found:
        return not_a_model()
    description, output = found["model"], found["output"]
    ops = description["ops"]
    convs = [(i, op) for i, op in enumerate(ops) if op["type"] == "Conv1D"]
    dense = [(i, op) for i, op in enumerate(ops) if op["type"] == "Dense"]
    optimizer = description.get("optimizer") or {}
    other = data.get(f"{other_length}_{other_classes}") or {}
    conv_ok = (
        len(convs) == 1
        and convs[0][1].get("filters") == 8
        and convs[0][1].get("kernel_size") in ([256], 256)
    )
    swapped = len(convs) == 1 and convs[0][1].get("filters") == 256
    compiled = description.get("compiled")
    return [
        Case(
            f"entrada de forma ({length}, 1)",
            description["inputs"] == [[-1, length, 1]],
            "Cada ejemplo es una ventana de `longitud` muestras y un canal: keras.Input(shape=(longitud, 1)).",
        ),
        Case(
            "Conv1D de 8 filtros de 256 coeficientes con ReLU",
            conv_ok and probes.activation_after(description, convs[0][0]) == "relu",
            "layers.Conv1D(8, 256, activation='relu'): 8 filtros, cada uno de 256 coeficientes."
            if not swapped
            else "Al revés: son 8 filtros (filters=8) de 256 coeficientes (kernel_size=256).",
        ),
        Case(
            "GlobalAveragePooling1D: la energía de cada banda",
            bool(probes.ops_of(description, "GlobalAveragePooling1D"))
            and description["params"] == _params(classes),
            f"Tras la convolución, layers.GlobalAveragePooling1D() (no Flatten): una media por filtro; "
            f"el modelo tiene {_params(classes)} parámetros.",
        ),
        Case(
            "salida Dense(num_clases) con softmax",
            bool(dense)
            and dense[-1][1]["units"] == classes
            and probes.activation_after(description, dense[-1][0]) == "softmax"
            and output is not None
            and output.shape == (2, classes)
            and np.allclose(output.sum(axis=1), 1, atol=1e-4),
            "Una probabilidad por clase: layers.Dense(num_clases, activation='softmax').",
        ),
        Case(
            "usa los argumentos longitud y num_clases",
            bool(other)
            and other["model"]["inputs"] == [[-1, other_length, 1]]
            and other["model"]["outputs"] == [[-1, other_classes]],
            "No fijes 1024 ni 4 dentro de la función: usa `longitud` y `num_clases`.",
        ),
        Case(
            "compilado con Adam (0,01) y entropía cruzada categórica",
            compiled
            and optimizer.get("class") == "Adam"
            and np.isclose(optimizer.get("learning_rate") or 0, 1e-2)
            and description.get("loss") == "categorical_crossentropy",
            (
                "Con etiquetas one-hot la pérdida es 'categorical_crossentropy' (la 'sparse_' es "
                "para enteros); el optimizador, keras.optimizers.Adam(learning_rate=0.01)."
            )
            if compiled and description.get("loss") != "categorical_crossentropy"
            else "El optimizador es keras.optimizers.Adam(learning_rate=0.01)."
            if compiled
            else "Falta compilar el modelo: model.compile(optimizer=..., loss=..., metrics=['accuracy']).",
        ),
    ]


# --- motor_respuesta ----------------------------------------------------------------


def _filters(seed):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=256), 2000.0), (np.ones(4) / 4, 100.0)


def _probe_respuesta(answer, seed):
    (taps, fs), (average, average_fs) = _filters(seed)
    return {
        "random": _pair(call_answer(answer, taps.copy(), fs)),
        "average": _pair(call_answer(answer, average.copy(), average_fs)),
    }


def _response(taps, fs):
    frequencies = np.arange(512) * fs / 1024
    return frequencies, 20 * np.log10(np.abs(np.fft.rfft(taps, 1024)[:512]) + 1e-300)


def _judge_respuesta(data, seed):
    (taps, fs), (average, average_fs) = _filters(seed)
    frequencies, decibels = data["random"]
    expected_f, expected_db = _response(taps, fs)
    shaped = decibels is not None and decibels.shape == expected_db.shape
    linear = 10 ** (expected_db / 20)
    if shaped and np.allclose(decibels, linear, rtol=1e-3):
        hint = "Da la magnitud en decibelios: 20·log10(|H|)."
    elif shaped and np.allclose(decibels, expected_db / 2, atol=1e-3):
        hint = "Para una amplitud, los decibelios son 20·log10(|H|), no 10·log10."
    else:
        hint = "magnitud_db = 20·log10(|H(f)|), con H de scipy.signal.freqz(coeficientes, worN=512, fs=fs)."
    average_f, average_db = data["average"]
    zero = average_f is not None and len(average_f) == 512
    return [
        Case(
            "512 frecuencias en Hz, de 0 a fs/2",
            frequencies is not None
            and frequencies.shape == (512,)
            and np.allclose(frequencies, expected_f),
            "Pasa fs a freqz para tener Hz: scipy.signal.freqz(coeficientes, worN=512, fs=fs).",
        ),
        Case(
            "magnitud en dB",
            shaped and np.allclose(decibels, expected_db, atol=1e-3),
            hint,
            weight=2.0,
        ),
        Case(
            "la media móvil de 4 muestras anula fs/4",
            zero
            and average_db.shape == (512,)
            and average_db[np.argmin(np.abs(average_f - average_fs / 4))] < -60
            and abs(average_db[0]) < 1e-6,
            "Una media de 4 muestras deja pasar la continua (0 dB) y anula fs/4: revisa las unidades.",
        ),
    ]


# --- motor_filtros ------------------------------------------------------------------


def _kernels(seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(256, 1, 8)), rng.normal(size=(64, 1, 4))


def _probe_filtros(answer, seed):
    from secuah_dl import dcmotor

    seen = []
    for kernel in _kernels(seed):
        model = dcmotor.build_model(
            window=512, filters=kernel.shape[2], kernel_size=kernel.shape[0]
        )
        conv = model.get_layer("conv")
        conv.set_weights([kernel.astype("float32"), conv.get_weights()[1]])
        try:
            seen.append(np.asarray(call_answer(answer, model), dtype="float64"))
        except (TypeError, ValueError):
            seen.append(None)
        except IndexError:  # model.layers[0]: the Input of a functional model
            seen.append("índice")
    return seen


def _judge_filtros(data, seed):
    big, small = (kernel[:, 0, :].T for kernel in _kernels(seed))
    by_index = any(isinstance(d, str) for d in data)  # it took model.layers[0]
    got, got_small = (None if isinstance(d, str) else d for d in data)
    shape_hint = "Una fila por filtro: de (256, 1, 8) quita el canal (`[:, 0, :]`) y traspón (`.T`)."
    if got is not None and got.shape == (256, 8):
        shape_hint = "Traspón: una FILA por filtro, (8, 256), no (256, 8)."
    values_hint = (
        "Los coeficientes están en el núcleo de la Conv1D: model.get_layer('conv').get_weights()[0] "
        "(el primer peso; el segundo es el sesgo)."
    )
    if by_index:
        shape_hint = values_hint = (
            "Busca la capa por su nombre, modelo.get_layer('conv'): en un modelo "
            "funcional, modelo.layers[0] es la entrada."
        )
    elif (
        got is not None
        and got.shape == (8, 256)
        and np.allclose(got, big.T.reshape(8, 256))
    ):
        values_hint = (
            "`reshape` no traspone, reordena los números: usa `nucleo[:, 0, :].T`."
        )

    def same(value, expected):
        """The values, as (filters, taps) or transposed: the shape case judges that."""
        return value is not None and any(
            value.shape == e.shape and np.allclose(value, e, atol=1e-6)
            for e in (expected, expected.T)
        )

    return [
        Case(
            "forma (8, 256): una fila por filtro",
            got is not None and got.shape == (8, 256),
            shape_hint,
        ),
        Case(
            "los coeficientes de cada filtro",
            same(got, big),
            values_hint,
            weight=2.0,
        ),
        Case(
            "sirve para cualquier Conv1D (4 filtros de 64)",
            same(got_small, small),
            values_hint
            if by_index or not same(got, big)
            else "No fijes 8 ni 256: toma la forma del núcleo.",
        ),
    ]


EXERCISES = [
    Exercise(
        "motor_espectro",
        WORKBOOK,
        "Escribe `espectro(senal, fs)`: el espectro de amplitud de un solo lado de una señal "
        "de N muestras tomadas a `fs` Hz. Devuelve `(frecuencias, amplitud)`: "
        "`frecuencias = np.fft.rfftfreq(N, 1/fs)` y `amplitud = 2·|np.fft.rfft(senal)|/N` "
        "(así un coseno de amplitud A da un pico de altura A).",
        2,
        "espectro",
        _probe_espectro,
        _judge_espectro,
    ),
    Exercise(
        "motor_modelo",
        WORKBOOK,
        "Escribe `construir_modelo(longitud, num_clases)`: el clasificador de las "
        "diapositivas para ventanas de forma `(longitud, 1)`: `Conv1D(8, 256, "
        "activation='relu')` (8 filtros de 256 coeficientes) → `GlobalAveragePooling1D` → "
        "`Dense(num_clases, activation='softmax')`. Compílalo con "
        "`keras.optimizers.Adam(learning_rate=0.01)`, `loss='categorical_crossentropy'` "
        "(clases one-hot) y `metrics=['accuracy']`, y devuélvelo.",
        4,
        "construir_modelo",
        _probe_modelo,
        _judge_modelo,
        kind="modelo",
        forbidden=("secuah_dl.dcmotor.build_model",),
    ),
    Exercise(
        "motor_respuesta",
        WORKBOOK,
        "Escribe `respuesta_en_frecuencia(coeficientes, fs)`: la respuesta en frecuencia "
        "de un filtro FIR en 512 frecuencias de 0 a fs/2 (sin incluirla), como "
        "`scipy.signal.freqz(coeficientes, worN=512, fs=fs)`. Devuelve `(frecuencias, "
        "magnitud_db)` con `magnitud_db = 20·log10(|H|)`.",
        2,
        "respuesta_en_frecuencia",
        _probe_respuesta,
        _judge_respuesta,
    ),
    Exercise(
        "motor_filtros",
        WORKBOOK,
        "Escribe `filtros_aprendidos(modelo)`: los coeficientes de los filtros de la capa "
        "`Conv1D` del modelo (se llama `'conv'`), como un array `(filtros, coeficientes)`: "
        "una fila por filtro.",
        2,
        "filtros_aprendidos",
        _probe_filtros,
        _judge_filtros,
    ),
]
