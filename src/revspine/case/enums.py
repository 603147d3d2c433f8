"""Controlled vocabularies of the case model.

These are lists of names, not clinical numbers; what each means clinically is in
the knowledge pack.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Procedure",
    "Region",
    "Approach",
    "Sex",
    "Symptom",
    "PainPattern",
    "Side",
    "Trend",
    "Modality",
    "ImagingCode",
    "LabTest",
    "BlockType",
    "EmgResult",
    "Smoking",
    "WoundState",
    "TestResult",
    "Reflex",
    "MotorDeficit",
    "SensoryDistribution",
    "FUSION_PROCEDURES",
    "DECOMPRESSION_PROCEDURES",
]


class _StrEnum(StrEnum):
    # A member is the str of its value: str's own __str__ gives it without two Python calls (this method and the
    # ``value`` property) each time a case value is quoted in an f-string.
    __str__ = str.__str__


class Procedure(_StrEnum):
    discectomy = "discectomy"
    laminectomy = "laminectomy"  # laminectomy / decompression
    posterolateral_fusion = "posterolateral_fusion"
    tlif = "tlif"
    plif = "plif"
    alif = "alif"
    llif = "llif"  # LLIF / XLIF
    acdf = "acdf"
    posterior_cervical_fusion = "posterior_cervical_fusion"
    disc_replacement = "disc_replacement"
    laminoplasty = "laminoplasty"  # cervical laminoplasty (posterior, no fusion)
    foraminotomy = "foraminotomy"  # posterior foraminotomy (posterior, no fusion)
    corpectomy = "corpectomy"  # vertebral body resection with reconstruction (a fusion)
    other = "other"

    @classmethod
    def _missing_(cls, value: object) -> Procedure | None:
        """The names operative notes use for the same operation (``PROCEDURE_SYNONYMS``)."""
        if isinstance(value, str):
            code = PROCEDURE_SYNONYMS.get(value.strip().lower().replace("-", "_").replace(" ", "_"))
            if code is not None:
                return cls(code)
        return None


#: Other names of the operations, as operative notes write them: the same operation, stored under its code.
PROCEDURE_SYNONYMS: dict[str, str] = {
    "microdiscectomy": "discectomy", "microdiskectomy": "discectomy", "diskectomy": "discectomy",
    "endoscopic_discectomy": "discectomy", "microendoscopic_discectomy": "discectomy",
    "laminotomy": "laminectomy", "hemilaminectomy": "laminectomy",
    "xlif": "llif", "dlif": "llif", "olif": "llif", "mis_tlif": "tlif",
}


FUSION_PROCEDURES = frozenset(
    {
        Procedure.posterolateral_fusion,
        Procedure.tlif,
        Procedure.plif,
        Procedure.alif,
        Procedure.llif,
        Procedure.acdf,
        Procedure.posterior_cervical_fusion,
        Procedure.corpectomy,  # the resected body is reconstructed (cage or strut graft) and fused
    }
)
DECOMPRESSION_PROCEDURES = frozenset(
    {Procedure.discectomy, Procedure.laminectomy, Procedure.laminoplasty, Procedure.foraminotomy}
)


class Region(_StrEnum):
    cervical = "cervical"
    thoracic = "thoracic"
    lumbar = "lumbar"


class Approach(_StrEnum):
    anterior = "anterior"
    posterior = "posterior"
    lateral = "lateral"
    combined = "combined"
    minimally_invasive = "minimally_invasive"


class Sex(_StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class Symptom(_StrEnum):
    back_pain = "back_pain"
    neck_pain = "neck_pain"
    leg_pain = "leg_pain"
    arm_pain = "arm_pain"
    numbness = "numbness"
    tingling = "tingling"
    weakness = "weakness"
    burning_pain = "burning_pain"
    electric_shock_pain = "electric_shock_pain"
    neurogenic_claudication = "neurogenic_claudication"
    calf_claudication_relieved_standing = "calf_claudication_relieved_standing"
    buttock_pain = "buttock_pain"
    groin_pain = "groin_pain"
    widespread_pain = "widespread_pain"
    fever = "fever"
    chills = "chills"
    night_pain = "night_pain"
    unexplained_weight_loss = "unexplained_weight_loss"
    wound_drainage = "wound_drainage"
    headache_upright = "headache_upright"
    headache = "headache"  # new headache since the operation, not (or not known to be) positional
    confusion = "confusion"  # new confusion, drowsiness or reduced consciousness
    seizure = "seizure"
    bladder_dysfunction = "bladder_dysfunction"
    bowel_dysfunction = "bowel_dysfunction"
    fatigue = "fatigue"
    gait_disturbance = "gait_disturbance"
    stooped_posture = "stooped_posture"
    mechanical_pain = "mechanical_pain"  # worse with activity or loading, eased by rest
    rest_pain = "rest_pain"  # pain at rest, not eased by lying down
    allodynia = "allodynia"  # pain from light touch
    sleep_disturbance = "sleep_disturbance"
    incisional_pain = "incisional_pain"  # pain at the scar
    dysphagia = "dysphagia"
    hoarseness = "hoarseness"
    breathing_difficulty = "breathing_difficulty"
    neck_swelling = "neck_swelling"
    hand_clumsiness = "hand_clumsiness"
    neck_stiffness = "neck_stiffness"
    photophobia = "photophobia"
    nausea_vomiting = "nausea_vomiting"
    night_sweats = "night_sweats"
    hip_pain = "hip_pain"
    shoulder_pain = "shoulder_pain"  # pain in the shoulder itself (worse with arm movement), not neck pain spreading
    diplopia = "diplopia"  # double vision (a sixth-nerve palsy from low CSF pressure after a leak?)


class PainPattern(_StrEnum):
    axial = "axial"
    radicular = "radicular"
    mixed = "mixed"


class Side(_StrEnum):
    left = "left"
    right = "right"
    bilateral = "bilateral"
    midline = "midline"


class Trend(_StrEnum):
    improving = "improving"
    stable = "stable"
    worsening = "worsening"
    rapidly_progressive = "rapidly_progressive"


class Modality(_StrEnum):
    xray = "xray"
    flexion_extension_xray = "flexion_extension_xray"
    standing_full_length_xray = "standing_full_length_xray"
    ct = "ct"
    mri = "mri"
    mri_contrast = "mri_contrast"
    ct_myelogram = "ct_myelogram"
    spect_bone_scan = "spect_bone_scan"
    dexa = "dexa"
    hip_imaging = "hip_imaging"
    shoulder_imaging = "shoulder_imaging"  # shoulder radiographs, ultrasound or MRI


class ImagingCode(_StrEnum):
    """Coded imaging findings; quantitative ones take ``value`` in the unit named."""

    nonunion = "nonunion"  # no bridging bone / pseudarthrosis seen
    solid_fusion = "solid_fusion"
    segmental_motion = "segmental_motion"  # motion across a fused level
    peri_screw_lucency = "peri_screw_lucency"  # value: mm
    screw_breakage = "screw_breakage"
    rod_breakage = "rod_breakage"
    screw_malposition = "screw_malposition"
    pedicle_breach = "pedicle_breach"  # value: mm
    cage_migration = "cage_migration"
    cage_subsidence = "cage_subsidence"
    recurrent_disc_herniation = "recurrent_disc_herniation"  # non-enhancing, contiguous with disc
    disc_herniation = "disc_herniation"  # read by its level: operated = recurrent, next to a fusion = adjacent
    enhancing_epidural_scar = "enhancing_epidural_scar"
    nerve_root_compression = "nerve_root_compression"
    central_stenosis = "central_stenosis"
    foraminal_stenosis = "foraminal_stenosis"
    adjacent_disc_degeneration = "adjacent_disc_degeneration"
    adjacent_level_stenosis = "adjacent_level_stenosis"
    adjacent_spondylolisthesis = "adjacent_spondylolisthesis"
    spondylolisthesis = "spondylolisthesis"
    translation = "translation"  # value: mm on flexion-extension
    angular_motion = "angular_motion"  # value: degrees on flexion-extension
    facet_effusion = "facet_effusion"
    facet_arthropathy = "facet_arthropathy"
    modic_changes = "modic_changes"
    disc_degeneration = "disc_degeneration"
    fluid_collection = "fluid_collection"
    epidural_hematoma = "epidural_hematoma"
    pseudomeningocele = "pseudomeningocele"
    endplate_erosion = "endplate_erosion"
    discitis_osteomyelitis = "discitis_osteomyelitis"
    epidural_abscess = "epidural_abscess"
    paraspinal_abscess = "paraspinal_abscess"
    clumped_nerve_roots = "clumped_nerve_roots"  # arachnoiditis pattern
    empty_thecal_sac = "empty_thecal_sac"
    vertebral_fracture = "vertebral_fracture"
    lytic_lesion = "lytic_lesion"
    sagittal_imbalance = "sagittal_imbalance"
    sva = "sva"  # value: mm
    pelvic_tilt = "pelvic_tilt"  # value: degrees
    pi_ll_mismatch = "pi_ll_mismatch"  # value: degrees
    proximal_junctional_kyphosis = "proximal_junctional_kyphosis"
    wrong_level_decompression = "wrong_level_decompression"
    residual_compression_at_operated_level = "residual_compression_at_operated_level"
    hip_osteoarthritis = "hip_osteoarthritis"
    shoulder_lesion = "shoulder_lesion"  # rotator cuff, calcific tendinitis, frozen shoulder, arthritis
    sij_degeneration = "sij_degeneration"
    normal_postoperative = "normal_postoperative"
    equivocal_fusion = "equivocal_fusion"  # bridging bone neither clearly present nor clearly absent
    cord_compression = "cord_compression"
    cord_signal_change = "cord_signal_change"  # T2 hyperintensity in the cord
    prevertebral_soft_tissue_swelling = "prevertebral_soft_tissue_swelling"  # value: mm
    csf_leak = "csf_leak"  # CSF collection or leak shown (e.g. on MRI or myelography)


class LabTest(_StrEnum):
    esr = "esr"
    crp = "crp"
    procalcitonin = "procalcitonin"
    wbc = "wbc"
    albumin = "albumin"
    transferrin = "transferrin"
    prealbumin = "prealbumin"
    total_lymphocyte_count = "total_lymphocyte_count"
    hba1c = "hba1c"
    vitamin_d = "vitamin_d"
    cotinine = "cotinine"
    anabasine = "anabasine"  # urine; tobacco alkaloid not in nicotine replacement
    anatabine = "anatabine"  # urine; tobacco alkaloid not in nicotine replacement


class BlockType(_StrEnum):
    nerve_root = "nerve_root"
    medial_branch = "medial_branch"
    facet_intraarticular = "facet_intraarticular"
    si_joint = "si_joint"
    pars = "pars"
    hip_intraarticular = "hip_intraarticular"
    subacromial = "subacromial"  # subacromial (bursal) injection of local anaesthetic
    hardware = "hardware"


class EmgResult(_StrEnum):
    normal = "normal"
    active_radiculopathy = "active_radiculopathy"
    chronic_radiculopathy = "chronic_radiculopathy"
    peripheral_neuropathy = "peripheral_neuropathy"
    entrapment_neuropathy = "entrapment_neuropathy"
    plexopathy = "plexopathy"
    paraspinal_denervation_only = "paraspinal_denervation_only"


class Smoking(_StrEnum):
    never = "never"
    former = "former"
    current = "current"


class WoundState(_StrEnum):
    healed = "healed"
    erythema = "erythema"
    drainage = "drainage"
    dehiscence = "dehiscence"
    sinus_tract = "sinus_tract"
    clear_drainage = "clear_drainage"  # clear, watery (CSF-like) drainage
    purulent_drainage = "purulent_drainage"  # pus from the incision (a criterion of surgical site infection)


class TestResult(_StrEnum):
    positive = "positive"
    negative = "negative"
    not_done = "not_done"


class Reflex(_StrEnum):
    normal = "normal"
    reduced = "reduced"
    absent = "absent"
    brisk = "brisk"


class MotorDeficit(_StrEnum):
    none = "none"
    mild = "mild"  # MRC 4/5
    severe = "severe"  # MRC 3/5 or worse


class SensoryDistribution(_StrEnum):
    dermatomal = "dermatomal"
    stocking = "stocking"
    saddle = "saddle"
    non_anatomic = "non_anatomic"


class BetaLactamAllergySeverity(_StrEnum):
    """The reaction behind a beta-lactam (penicillin) allergy label, graded as the 2022 drug-allergy
    practice parameter stratifies by reaction phenotype."""

    low_risk = "low_risk"  # benign rash, gastrointestinal upset, family history, vague reaction long ago
    severe_immediate = "severe_immediate"  # anaphylaxis, angioedema, bronchospasm, hypotension
    severe_delayed = "severe_delayed"  # SJS/TEN, DRESS, AGEP, organ involvement, haemolytic anaemia
    cefazolin_reaction = "cefazolin_reaction"  # a reaction to cefazolin itself
