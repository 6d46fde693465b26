"""Stations: the validated station file and the live station built from it."""

from obshub.station.load import load_station, parse_station
from obshub.station.model import StationConfig
from obshub.station.station import Instrument, MountUnit, Station

__all__ = ["Instrument", "MountUnit", "Station", "StationConfig", "load_station", "parse_station"]
