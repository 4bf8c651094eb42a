"""Distinctive strings to put in a file's name, metadata and content, then look for in
logs and alerts: finding one there means data leaked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Canaries:
    tag: str  # tells one test's canaries from another's

    @property
    def filename(self) -> str:
        return f"cnry-{self.tag}-filename.csv"

    @property
    def metadata(self) -> str:
        return f"cnry-{self.tag}-metadata"

    @property
    def content(self) -> str:
        return f"cnry-{self.tag}-content"

    @property
    def patient(self) -> str:
        return f"cnry-{self.tag}-patient"

    @property
    def dicom(self) -> bytes:
        """A real DICOM file (pydicom's CT sample) whose patient tags hold canaries."""
        import io

        from pydicom import dcmread
        from pydicom.data import get_testdata_file

        dataset = dcmread(get_testdata_file("CT_small.dcm"))
        dataset.PatientName = self.patient
        dataset.PatientID = f"{self.patient}-id"
        dataset.PatientBirthDate = "19840312"
        out = io.BytesIO()
        dataset.save_as(out)
        return out.getvalue()

    @property
    def valid_csv(self) -> bytes:
        return f"name,note\nAda,{self.content}\n".encode()

    @property
    def ragged_csv(self) -> bytes:
        """Quarantined for ``csv_ragged_rows``."""
        return f"name,note\nAda,{self.content}\nGrace\n".encode()

    def found_in(self, text: str) -> list[str]:
        """The canaries that ``text`` holds (the file name without its extension)."""
        found = (self.filename.removesuffix(".csv"), self.metadata, self.content, self.patient)
        return [c for c in found if c in text]
