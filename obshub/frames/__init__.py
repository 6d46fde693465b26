"""Frames: FITS files with the headers observers expect, written atomically."""

from obshub.frames.capture import FrameContext, capture_frame, frame_context
from obshub.frames.fits import build_header, write_fits

__all__ = ["FrameContext", "build_header", "capture_frame", "frame_context", "write_fits"]
