"""corespond: software for co-responder crisis programs."""

__version__ = "0.1.0"
