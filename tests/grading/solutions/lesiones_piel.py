"""Reference solutions and known-wrong answers: lesiones_piel."""

import numpy as np


def umbral_para_sensibilidad(y_real, prob_maligno, objetivo):
    y_real, prob_maligno = np.asarray(y_real), np.asarray(prob_maligno)
    positivos = prob_maligno[y_real == 1]
    validos = [
        u for u in np.unique(prob_maligno) if np.mean(positivos >= u) >= objetivo
    ]
    return float(max(validos))


def auc_trapecios(fpr, tpr):
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))


def a_tres_canales(imagenes):
    imagenes = np.asarray(imagenes)
    if imagenes.ndim == 4 and imagenes.shape[-1] == 1:
        imagenes = imagenes[..., 0]
    return np.repeat(imagenes[..., None], 3, axis=-1)


def _umbral_minimo(y_real, prob_maligno, objetivo):
    return float(np.min(prob_maligno))


def _umbral_sin_cumplir(y_real, prob_maligno, objetivo):
    return 0.8  # "un umbral alto es más prudente": pierde malignos


def _auc_rectangulos(fpr, tpr):
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum(np.diff(fpr) * tpr[1:]))


def _auc_media(fpr, tpr):
    return float(np.mean(tpr))


def _canales_primero(imagenes):
    return np.repeat(np.asarray(imagenes)[:, None], 3, axis=1)


def _canales_normalizados(imagenes):
    return a_tres_canales(np.asarray(imagenes) / 255.0)


REFERENCE = {
    'piel_umbral': umbral_para_sensibilidad,
    'piel_auc': auc_trapecios,
    'piel_tres_canales': a_tres_canales,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'piel_umbral': [
        (_umbral_minimo, 'MÁS ALTO'),
        (_umbral_sin_cumplir, 'baja el umbral'),
    ],
    'piel_auc': [
        (_auc_rectangulos, 'trapecios, no rectángulos'),
        (_auc_media, 'suma de trapecios'),
    ],
    'piel_tres_canales': [
        (_canales_primero, 'eje de canal al final'),
        (_canales_normalizados, 'no normalices'),
    ],
}
