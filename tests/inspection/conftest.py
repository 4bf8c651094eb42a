"""Tests of the shared inspection package (scalper_inspection): no AWS, no backend."""
