/**
 * The payloads of groups 12 and 13. Autobahn sends slices of five files it ships (a JSON file,
 * a bitmap, Goethe's Faust, an HTML page, a PDF); the kit makes data of the same kinds, the same
 * every run, so compression behaves alike without shipping the files.
 */
import { pseudoRandom } from '../bytes.js';

export interface TestData {
  title: string;
  /** Sent as binary messages (Autobahn sends Faust and the PDF as binary too). */
  binary: boolean;
  data: Buffer;
}

/** A small deterministic generator (an LCG): the same sequence for the same seed. */
function numbers(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** ASCII only in what is sent as text: a slice at any offset must stay valid UTF-8. */
const ASCII_WORDS = ['the', 'and', 'Faust', 'Gretchen', 'night', 'world', 'green', 'street', 'king', 'heart', 'not', 'to', 'is'];
const WORDS = [
  'der',
  'die',
  'das',
  'und',
  'Faust',
  'Mephistopheles',
  'Gretchen',
  'Geist',
  'über',
  'Herz',
  'Nacht',
  'König',
  'Welt',
  'grün',
  'Straße',
  'hat',
  'nicht',
  'zu',
  'ich',
  'bin',
];

function json(size: number): Buffer {
  const next = numbers(1);
  const items: string[] = [];
  let length = 2;
  for (let i = 0; length < size; i++) {
    const item = JSON.stringify({
      id: i,
      name: `user-${Math.floor(next() * 1e6)}`,
      active: next() > 0.5,
      score: Math.round(next() * 1e4) / 100,
      tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + Math.floor(next() * 3)),
      city: ASCII_WORDS[Math.floor(next() * ASCII_WORDS.length)],
    });
    items.push(item);
    length += item.length + 1;
  }
  return Buffer.from(`[${items.join(',')}]`).subarray(0, size);
}

function bitmap(size: number): Buffer {
  const out = Buffer.alloc(size);
  out.write('BM', 0, 'latin1');
  const next = numbers(2);
  // 1-bit rows of a smooth picture: runs of set and clear bits, like a scanned image.
  for (let i = 62; i < size; i++) out[i] = next() < 0.7 ? ((i >> 9) & 1 ? 0xff : 0x00) : Math.floor(next() * 256);
  return out;
}

function prose(size: number): Buffer {
  const next = numbers(3);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const sentence = `${Array.from({ length: 5 + Math.floor(next() * 10) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ')}.\n`;
    parts.push(sentence);
    length += Buffer.byteLength(sentence);
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

function html(size: number): Buffer {
  const next = numbers(4);
  const parts = ['<!DOCTYPE html><html><head><title>Test</title></head><body>\n'];
  let length = parts[0].length;
  for (let i = 0; length < size; i++) {
    const row = `<div class="row r${i % 7}"><a href="/item/${i}">${ASCII_WORDS[Math.floor(next() * ASCII_WORDS.length)]}</a><span>${Math.floor(next() * 1e5)}</span></div>\n`;
    parts.push(row);
    length += Buffer.byteLength(row);
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

function pdf(size: number): Buffer {
  // Text streams and compressed (incompressible) ones, in turn.
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  let length = chunks[0].length;
  for (let i = 0; length < size; i++) {
    const chunk = i % 2 === 0 ? prose(4096) : pseudoRandom(8192, i);
    chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, size);
}

let sets: TestData[] | null = null;

/** The five data sets of 12.1 .. 12.5, in that order; 13.x uses the first. */
export function testData(): TestData[] {
  sets ??= [
    { title: 'Large JSON data (utf8)', binary: false, data: json(194_237) },
    { title: 'A bitmap, 1 bit per pixel (binary)', binary: true, data: bitmap(263_222) },
    { title: 'Human readable text, German words (binary)', binary: true, data: prose(222_218) },
    { title: 'Large HTML (utf8)', binary: false, data: html(83_602) },
    { title: 'A larger PDF-like file (binary)', binary: true, data: pdf(1_042_328) },
  ];
  for (const set of sets) if (!set.binary && !set.data.every((b) => b < 0x80)) throw new Error(`test data "${set.title}" is not ASCII`);
  return sets;
}
