/**
 * The papers' numbers the scaling report puts beside ours, in one place, each with where it
 * comes from (the project's shared anchors, /work/shared/ANCHORS.md, "Kaplan et al. 2020",
 * "Hoffmann et al. 2022 (Chinchilla)" and "Compute-optimal scaling").
 */
export const SCALING_ANCHORS = {
  kaplan: {
    cite: 'Kaplan et al. 2020, "Scaling Laws for Neural Language Models"',
    /** L(N) = (N_c/N)^a_N, N non-embedding. */
    aN: 0.076,
    Nc: 8.8e13,
    /** L(D) = (D_c/D)^a_D. */
    aD: 0.095,
    Dc: 5.4e13,
    /** L(C_min) = (C_c/C_min)^a_C, C in PF-days. */
    aC: 0.05,
    CcPfDays: 3.1e8,
    /** Compute-efficient frontier: N ~ C^0.73, D ~ C^0.27 (non-embedding N). */
    nOpt: 0.73,
    dOpt: 0.27,
  },
  chinchilla: {
    cite: 'Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models" (Chinchilla)',
    /** N_opt ~ C^a by approaches 1, 2, 3. */
    a: [0.5, 0.49, 0.46] as readonly [number, number, number],
    /** D_opt ~ C^b by approaches 1, 2, 3. */
    b: [0.5, 0.51, 0.54] as readonly [number, number, number],
    E: 1.69,
    A: 406.4,
    B: 410.7,
    alpha: 0.34,
    beta: 0.28,
    huberDelta: 1e-3,
    tokensPerParam: 20,
  },
  besiroglu: {
    cite: 'Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt" (Epoch AI)',
    E: 1.8172,
    A: 482.01,
    B: 2085.43,
    alpha: 0.3478,
    beta: 0.3658,
    /** beta / (alpha + beta). */
    a: 0.3658 / (0.3478 + 0.3658),
  },
  pearceSong: {
    cite: 'Pearce & Song 2024, "Reconciling Kaplan and Chinchilla Scaling Laws" (TMLR)',
    /** N_opt ~ C^a counting total parameters, and non-embedding parameters. */
    aTotal: 0.49,
    aNonEmbedding: 0.74,
    /** Their IsoFLOP study's model sizes (total parameters). */
    params: [0.8e6, 4.6e6] as readonly [number, number],
  },
  porian: {
    cite: 'Porian et al. 2024, "Resolving Discrepancies in Compute-Optimal Scaling of Language Models"',
    /** Kaplan's setup reproduced. */
    aKaplanSetup: 0.86,
    /** After counting the output layer's FLOPs, scaled warmup, matched cosine, tuned lr/batch/beta2. */
    aCorrected: 0.5,
  },
  muennighoff: {
    cite: 'Muennighoff et al. 2023, "Scaling Data-Constrained Language Models"',
    /** Epochs of repeated data that cost about as much as fresh data. */
    maxEpochs: 4,
  },
} as const;

/** Published reference numbers of Kaplan et al. 2020, as the first scaling report cites them. */
export const KAPLAN = SCALING_ANCHORS.kaplan;
/** Hoffmann et al. 2022's parametric fit. */
export const CHINCHILLA = SCALING_ANCHORS.chinchilla;
