"""shnor: schools with stably low results (ШНОР) from ВПР/ОГЭ/ЕГЭ data, with known method."""

__version__ = "0.1.0"
