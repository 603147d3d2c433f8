"""Codes in clinical words: procedures, modalities, imaging findings and spinal levels.

One table for every page, the PDF, the timeline and the case form, so a code is never printed
lower-case ("tlif", "ct") and a finding reads as a clinician writes it ("Peri-screw lucency").
Presentation only: the codes themselves stay the case model's.
"""

from __future__ import annotations

__all__ = ["PROCEDURE_LABELS", "MODALITY_LABELS", "IMAGING_LABELS", "IMAGING_GROUPS", "LEVELS", "FIELD_LABELS",
           "clinical_label", "procedure_label", "modality_label", "field_label"]

PROCEDURE_LABELS: dict[str, str] = {
    "discectomy": "Discectomy",
    "laminectomy": "Laminectomy / decompression",
    "posterolateral_fusion": "Posterolateral fusion",
    "tlif": "TLIF",
    "plif": "PLIF",
    "alif": "ALIF",
    "llif": "LLIF/XLIF",
    "acdf": "ACDF",
    "posterior_cervical_fusion": "Posterior cervical fusion",
    "disc_replacement": "Disc replacement",
    "laminoplasty": "Laminoplasty",
    "foraminotomy": "Foraminotomy",
    "corpectomy": "Corpectomy and reconstruction",
    "other": "Other operation",
}

MODALITY_LABELS: dict[str, str] = {
    "xray": "X-ray",
    "flexion_extension_xray": "Flexion-extension X-ray",
    "standing_full_length_xray": "Standing full-length X-ray",
    "ct": "CT",
    "mri": "MRI",
    "mri_contrast": "MRI with contrast",
    "ct_myelogram": "CT myelogram",
    "spect_bone_scan": "SPECT bone scan",
    "dexa": "DEXA",
    "hip_imaging": "Hip imaging",
    "shoulder_imaging": "Shoulder imaging",
}

IMAGING_LABELS: dict[str, str] = {
    "nonunion": "Nonunion (pseudarthrosis)",
    "solid_fusion": "Solid fusion",
    "segmental_motion": "Motion across a fused level",
    "peri_screw_lucency": "Peri-screw lucency (mm)",
    "screw_breakage": "Screw breakage",
    "rod_breakage": "Rod breakage",
    "screw_malposition": "Screw malposition",
    "pedicle_breach": "Pedicle breach (mm)",
    "cage_migration": "Cage migration",
    "cage_subsidence": "Cage subsidence",
    "recurrent_disc_herniation": "Recurrent disc herniation",
    "disc_herniation": "Disc herniation (read by its level)",
    "enhancing_epidural_scar": "Enhancing epidural scar",
    "nerve_root_compression": "Nerve root compression",
    "central_stenosis": "Central canal stenosis",
    "foraminal_stenosis": "Foraminal stenosis",
    "adjacent_disc_degeneration": "Adjacent-level disc degeneration",
    "adjacent_level_stenosis": "Adjacent-level stenosis",
    "adjacent_spondylolisthesis": "Adjacent-level spondylolisthesis",
    "spondylolisthesis": "Spondylolisthesis",
    "translation": "Translation on flexion-extension (mm)",
    "angular_motion": "Angular motion on flexion-extension (°)",
    "facet_effusion": "Facet joint effusion",
    "facet_arthropathy": "Facet arthropathy",
    "modic_changes": "Modic endplate changes",
    "disc_degeneration": "Disc degeneration",
    "fluid_collection": "Fluid collection",
    "epidural_hematoma": "Epidural haematoma",
    "pseudomeningocele": "Pseudomeningocele",
    "endplate_erosion": "Endplate erosion",
    "discitis_osteomyelitis": "Discitis / osteomyelitis",
    "epidural_abscess": "Epidural abscess",
    "paraspinal_abscess": "Paraspinal abscess",
    "clumped_nerve_roots": "Clumped nerve roots (arachnoiditis)",
    "empty_thecal_sac": "Empty thecal sac",
    "vertebral_fracture": "Vertebral fracture",
    "lytic_lesion": "Lytic lesion",
    "sagittal_imbalance": "Sagittal imbalance",
    "sva": "Sagittal vertical axis, SVA (mm)",
    "pelvic_tilt": "Pelvic tilt, PT (°)",
    "pi_ll_mismatch": "PI-LL mismatch (°)",
    "proximal_junctional_kyphosis": "Proximal junctional kyphosis",
    "wrong_level_decompression": "Wrong-level decompression",
    "residual_compression_at_operated_level": "Residual compression at the operated level",
    "equivocal_fusion": "Equivocal fusion",
    "cord_compression": "Spinal cord compression",
    "cord_signal_change": "Cord signal change",
    "prevertebral_soft_tissue_swelling": "Prevertebral soft-tissue swelling",
    "csf_leak": "CSF leak",
}

#: Case fields whose name alone does not read clinically (units, ranges, acronyms), for the case form
#: and wherever a case field is named (the compare page).
FIELD_LABELS: dict[str, str] = {
    "bmi": "BMI (kg/m²)", "height_cm": "Height (cm)", "weight_kg": "Weight (kg)", "age": "Age (years)",
    "onset_date": "Symptom onset date", "onset_days_after_surgery": "…or onset, days after surgery",
    "follows_surgery": "Symptoms follow surgery # (0 = first row)",
    "si_provocation_positive": "Positive SI provocation tests (0-6)",
    "ankle_brachial_index": "Ankle-brachial index", "temperature_c": "Temperature (°C)",
    "ckd_stage": "CKD stage (1-5)", "dexa_t_score": "DEXA T-score", "ct_hounsfield_l1": "CT Hounsfield units at L1",
    "opioid_mme_per_day": "Opioids (MME/day)", "iv_drug_use": "IV drug use", "mrsa_colonised": "MRSA colonised",
    "relief_percent": "Relief (%)", "odi": "ODI (%)", "ndi": "NDI (0-50)", "nrs_back": "NRS back (0-10)",
    "nrs_leg": "NRS leg (0-10)", "paindetect": "painDETECT", "dn4": "DN4", "start_back_total": "STarT Back total",
    "start_back_psychosocial": "STarT Back psychosocial", "phq9": "PHQ-9", "gad7": "GAD-7",
    "fibromyalgia_wpi": "Fibromyalgia WPI", "fibromyalgia_sss": "Fibromyalgia SSS", "pi": "Pelvic incidence (°)",
    "ll": "Lumbar lordosis (°)", "pt": "Pelvic tilt (°)", "ss": "Sacral slope (°)", "sva_mm": "SVA (mm)",
    "tk": "Thoracic kyphosis (°)", "case_id": "Your reference (not a name)", "levels": "Levels (e.g. L4-L5, L5-S1)",
    "implants": "Implants (comma-separated)", "code": "Finding", "test": "Test", "type": "Block",
    "result": "Result", "limited_by_artefact": "Limited by metal artefact", "notes": "Notes",
}

#: Imaging findings grouped the way they are read, with the study that usually shows them.
IMAGING_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Fusion and implants (CT, flexion-extension X-ray)", (
        "nonunion", "equivocal_fusion", "solid_fusion", "segmental_motion", "translation", "angular_motion",
        "peri_screw_lucency", "screw_breakage", "rod_breakage", "screw_malposition", "pedicle_breach",
        "cage_migration", "cage_subsidence")),
    ("Nerve compression and scar (MRI, CT myelogram)", (
        "recurrent_disc_herniation", "disc_herniation", "enhancing_epidural_scar", "nerve_root_compression",
        "central_stenosis", "foraminal_stenosis", "residual_compression_at_operated_level", "wrong_level_decompression",
        "clumped_nerve_roots", "empty_thecal_sac", "cord_compression", "cord_signal_change")),
    ("Adjacent segment and degeneration (MRI, X-ray)", (
        "adjacent_disc_degeneration", "adjacent_level_stenosis", "adjacent_spondylolisthesis", "spondylolisthesis",
        "disc_degeneration", "modic_changes", "facet_effusion", "facet_arthropathy")),
    ("Infection, collections and leaks (MRI with contrast)", (
        "fluid_collection", "epidural_hematoma", "pseudomeningocele", "csf_leak", "endplate_erosion",
        "discitis_osteomyelitis", "epidural_abscess", "paraspinal_abscess", "prevertebral_soft_tissue_swelling")),
    ("Alignment (standing full-length X-ray)", (
        "sagittal_imbalance", "sva", "pelvic_tilt", "pi_ll_mismatch", "proximal_junctional_kyphosis")),
    ("Bone (CT, MRI)", ("vertebral_fracture", "lytic_lesion")),
)

#: Motion segments for the level picker, head to tail.
LEVELS: tuple[str, ...] = (
    *(f"C{i}-C{i + 1}" for i in range(1, 7)), "C7-T1",
    *(f"T{i}-T{i + 1}" for i in range(1, 12)), "T12-L1",
    *(f"L{i}-L{i + 1}" for i in range(1, 5)), "L5-S1",
)

_ACRONYMS = {"ct": "CT", "mri": "MRI", "tlif": "TLIF", "plif": "PLIF", "alif": "ALIF", "acdf": "ACDF",
             "crp": "CRP", "esr": "ESR", "wbc": "WBC", "si": "SI", "emg": "EMG", "dexa": "DEXA", "spect": "SPECT",
             "sva": "SVA", "ssi": "SSI", "pi": "PI", "ll": "LL", "pt": "PT", "csf": "CSF", "mrsa": "MRSA",
             "xray": "X-ray",
             "hba1c": "HbA1c", "ncv": "NCV", "odi": "ODI", "ndi": "NDI", "nrs": "NRS", "phq9": "PHQ-9",
             "gad7": "GAD-7", "bmi": "BMI", "iv": "IV", "ckd": "CKD", "sij": "SIJ"}


def clinical_label(code: str) -> str:
    """Any code in clinical words: the tables above first, else words with acronyms in capitals."""
    for table in (PROCEDURE_LABELS, MODALITY_LABELS, IMAGING_LABELS):
        if code in table:
            return table[code]
    words = [_ACRONYMS.get(w.lower(), w) for w in code.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def procedure_label(code: str) -> str:
    return PROCEDURE_LABELS.get(code, clinical_label(code))


def modality_label(code: str) -> str:
    return MODALITY_LABELS.get(code, clinical_label(code))


def field_label(name: str) -> str:
    """A case field's name in words ("temperature_c" -> "Temperature (°C)")."""
    return FIELD_LABELS.get(name) or clinical_label(name)
