"""Reference solutions and known-wrong answers: autoencoders."""

import numpy as np


def muestreo(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(0.5 * z_log_var) * epsilon


def divergencia_kl(z_mean, z_log_var):
    return float(
        np.mean(-0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1))
    )


def residuos(x, x_reconstruida):
    diferencia = np.asarray(x) - np.asarray(x_reconstruida)
    return (diferencia**2).reshape(len(diferencia), -1).sum(axis=1)


def _muestreo_varianza(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(z_log_var) * epsilon


def _muestreo_lineal(z_mean, z_log_var, epsilon):
    return z_mean + z_log_var * epsilon


def _kl_sin_signo(z_mean, z_log_var):
    return -divergencia_kl(z_mean, z_log_var)


def _kl_media_total(z_mean, z_log_var):
    return float(np.mean(-0.5 * (1 + z_log_var - z_mean**2 - np.exp(z_log_var))))


def _residuos_media(x, x_reconstruida):
    diferencia = np.asarray(x) - np.asarray(x_reconstruida)
    return (diferencia**2).reshape(len(diferencia), -1).mean(axis=1)


def _residuos_4d(x, x_reconstruida):
    return ((np.asarray(x) - np.asarray(x_reconstruida)) ** 2).sum(axis=(1, 2, 3))


REFERENCE = {
    'vae_muestreo': muestreo,
    'vae_kl': divergencia_kl,
    'ae_residuos': residuos,
}

# Other correct answers, written differently: each must get full marks.
ALTERNATIVES = {}

# Known-wrong answers: (function, a hint the checker must give).
WRONG = {
    'vae_muestreo': [
        (_muestreo_varianza, 'no exp(log_var)'),
        (_muestreo_lineal, 'LOGARITMO de la varianza'),
    ],
    'vae_kl': [
        (_kl_sin_signo, 'Falta el signo'),
        (_kl_media_total, 'axis=1'),
    ],
    'ae_residuos': [
        (_residuos_media, 'no promedies'),
        (_residuos_4d, 'aplana cada ejemplo'),
    ],
}
