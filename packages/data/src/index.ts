export {
  type Batch,
  type BatchPosition,
  BatchStream,
  type BatchStreamOptions,
  collateSeq2Seq,
  evalBatches,
  IndexStream,
  type Seq2SeqArrays,
} from './batches.js';
export { detokenize, loadBrown, parseBrownFile, stripTag } from './brown.js';
export { type CorpusInfo, clearCorpusCache, listCorpora, loadCorpus, registerCorpus } from './corpora.js';
export { countCodePoints, type Document, documentText } from './document.js';
export { CorpusError } from './errors.js';
export { expandPattern, expandPatterns, loadFiles } from './files.js';
export { buildManifest, type DataManifest, type SplitManifest, splitManifest } from './manifest.js';
export { loadMobyDick } from './mobyDick.js';
export {
  buildTokenStream,
  concatWithSeparator,
  END_OF_TEXT,
  endOfTextId,
  type PackedSequences,
  packSequences,
  tokenizeDocuments,
} from './pack.js';
export { checkSplits, type PreparedData, prepareData } from './prepare.js';
export { paragraphsFromText, splitSentences } from './sentences.js';
export { loadSotu } from './sotu.js';
export {
  DEFAULT_FRACTIONS,
  type DocumentSplits,
  SPLIT_NAMES,
  type SplitFractions,
  type SplitName,
  type SplitOptions,
  splitCounts,
  splitDocuments,
  splitKey,
} from './split.js';
