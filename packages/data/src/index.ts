export { type Document, documentText, countCodePoints } from './document.js';
export { CorpusError } from './errors.js';
export { type CorpusInfo, listCorpora, loadCorpus, registerCorpus, clearCorpusCache } from './corpora.js';
export { loadBrown, parseBrownFile, detokenize, stripTag } from './brown.js';
export { loadSotu } from './sotu.js';
export { loadMobyDick } from './mobyDick.js';
export { loadFiles, expandPattern, expandPatterns } from './files.js';
export { splitSentences, paragraphsFromText } from './sentences.js';
export {
  type SplitName,
  type SplitFractions,
  type SplitOptions,
  type DocumentSplits,
  SPLIT_NAMES,
  DEFAULT_FRACTIONS,
  splitKey,
  splitCounts,
  splitDocuments,
} from './split.js';
export { type SplitManifest, type DataManifest, splitManifest, buildManifest } from './manifest.js';
export {
  type PackedSequences,
  END_OF_TEXT,
  tokenizeDocuments,
  endOfTextId,
  concatWithSeparator,
  buildTokenStream,
  packSequences,
} from './pack.js';
export { type Batch, type BatchPosition, type BatchStreamOptions, BatchStream, IndexStream, evalBatches } from './batches.js';
export { type PreparedData, prepareData } from './prepare.js';
