// Captions: the sentence as written, split into the pieces the voice's word timeline names, so the piece being
// spoken can be highlighted. English pieces are words with spaces between them; Chinese has no spaces, so the
// bridge sends one token per Han character (avatar_bridge/captions.py) and a spoken word such as 办理 names two
// of them: consecutive tokens said by the same spoken words become one piece, joined without a space. A Chinese
// token that several spoken words say (a bridge that sends a whole clause as one token) is cut where each spoken
// word is found in it, so the highlight still moves word by word; an English one ("C13") is highlighted whole.

const CJK = /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/; // CJK radicals, punctuation, kana, Han, full-width forms
const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;

/** The space between two written tokens: none where either side is Chinese. */
export function joiner(before, after) {
  if (!before || !after) return "";
  return CJK.test(before.at(-1)) || CJK.test(after[0]) ? "" : " ";
}

const key = (text) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");

/**
 * Pieces of a caption: [{text, sep, words: [spoken word indices]}] from the utterance's written tokens
 * (`display`: {word, first, last}, indices into `words`) and its spoken words ({word}).
 */
export function captionPieces(display, words) {
  const tokens = display.map((d) => ({ word: d.word, first: d.first, last: d.last }));
  // spoken words no token names belong to the nearest token before them that names any (as the bridge does)
  let owner = null;
  const spans = tokens.map((d) => (d.first == null ? null : [d.first, d.last]));
  for (let i = 0; i < tokens.length; i++) {
    if (!spans[i]) continue;
    if (owner != null && spans[owner][1] < spans[i][0] - 1) spans[owner][1] = spans[i][0] - 1;
    owner = i;
  }
  if (owner != null && spans[owner][1] < words.length - 1) spans[owner][1] = words.length - 1;

  const pieces = [];
  tokens.forEach((token, i) => {
    const sep = i ? joiner(tokens[i - 1].word, token.word) : "";
    const span = spans[i];
    const said = span ? range(span[0], span[1]) : [];
    // only Chinese is cut: an English token ("C13", said "C thirteen") is highlighted whole, as written
    const cut = said.length > 1 && HAN.test(token.word);
    const parts = cut ? splitToken(token.word, said, words) : [{ text: token.word, words: said }];
    parts.forEach((part, n) => {
      const last = pieces.at(-1);
      const joined = (n ? "" : sep) === "" && last && part.words.length && sameWords(last.words, part.words);
      if (joined) last.text += part.text;
      else pieces.push({ text: part.text, sep: n ? "" : sep, words: part.words });
    });
  });
  return pieces;
}

function range(a, b) {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

function sameWords(a, b) {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

/** One written token said by several spoken words: cut it where each word is found, in order. */
function splitToken(text, said, words) {
  const lower = text.toLowerCase();
  const found = []; // [word index, start, end] of the words found in the token
  let cursor = 0;
  for (const w of said) {
    const k = key(words[w]?.word || "");
    if (!k) continue;
    const at = lower.indexOf(k, cursor);
    if (at >= 0) {
      found.push([w, at, at + k.length]);
      cursor = at + k.length;
    }
  }
  if (!found.length) return [{ text, words: said }];
  const parts = [];
  let start = 0;
  let pending = said.filter((w) => w < found[0][0]); // words before the first found one: said by the gap before it
  found.forEach(([w, at, end], i) => {
    if (at > start) parts.push({ text: text.slice(start, at), words: pending });
    const next = found[i + 1];
    const between = said.filter((x) => x > w && (!next || x < next[0]));
    parts.push({ text: text.slice(at, end), words: [w] });
    start = end;
    pending = between;
  });
  if (start < text.length) parts.push({ text: text.slice(start), words: pending });
  // a gap nobody says (punctuation) stays with the word before it; words without text share the last piece
  const out = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (last && !part.words.length) last.text += part.text;
    else if (last && !key(part.text)) { last.text += part.text; last.words = [...new Set([...last.words, ...part.words])]; }
    else out.push({ ...part });
  }
  if (pending.length && start >= text.length && out.length) out.at(-1).words.push(...pending);
  return out;
}
