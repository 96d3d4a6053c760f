"""Preprocessing Lambda: an upload under raw/ becomes a cleaned, versioned dataset under processed/."""
