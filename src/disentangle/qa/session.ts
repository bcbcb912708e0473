/**
 * A step-wise active question-answering session (Zhang et al. 2017, "Mining Object Parts from
 * CNNs via Active Question-Answering", CVPR, https://arxiv.org/abs/1704.03173): the user names a
 * part and clicks it on 1–3 images; the session then asks, one image at a time, about the image
 * where its part model is least certain, shows its guess, and refits after each answer. A UI
 * drives it one call at a time; {@link runActiveQa} drives it with an oracle callback.
 *
 * State is plain data (the answers); every method is synchronous and cheap (a refit is
 * O(units × answers), a question O(committee × images)), so it runs in a Web Worker or the page.
 */
import { LucernaError } from '../../errors.js';
import { seededRandom } from '../../tensor/random.js';
import type { UnitPositions } from '../graph/locate.js';
import { imageToModel, modelToImage } from './frame.js';
import { firingRates, fitPartModel, guessPart, type PartModelSettings, partModelSettings } from './part-model.js';
import type { PartGuess, PartModel, Point, QaAnswer, QaImage, QaOptions, QaQuestion, QaRecord, QaSelection } from './types.js';

/** A guess on one of the session's images, in image pixels. */
export interface QaGuess {
  readonly image: string;
  /** The guess, image px. */
  readonly guess: Point;
  /** Normalised uncertainty (√spread over the model input's diagonal). */
  readonly uncertainty: number;
  /** Committee units that fired on the image. */
  readonly fired: number;
}

/**
 * One active-QA session over a list of images.
 *
 * @example
 * ```ts
 * const session = new QaSession(images, { part: 'head', inputSize: [64, 64] });
 * session.answer('bird-0.png', { kind: 'here', x: 40, y: 12 }); // an initial click
 * const q = session.next(); // { image, guess: [x, y], uncertainty, … } or null when every image is answered
 * if (q) session.answer(q.image, { kind: 'yes' });
 * session.model.units; // the committee of units that predict the part
 * ```
 */
export class QaSession {
  /** The images, in the order given. */
  readonly images: readonly QaImage[];
  /** The part's name. */
  readonly part: string;
  /** The selection rule. */
  readonly selection: QaSelection;
  private readonly settings: PartModelSettings;
  private readonly index = new Map<string, number>();
  private readonly answers = new Map<number, QaRecord>();
  private readonly order: QaRecord[] = [];
  private readonly random: () => number;
  private pending: QaQuestion | null = null;
  private questions = 0;
  private fitted: PartModel;
  private readonly firing: number[];

  /**
   * @param images the images (ids unique; every image's `units` of the same length)
   * @param options see {@link QaOptions}
   */
  constructor(images: readonly QaImage[], options: QaOptions) {
    this.settings = partModelSettings(options);
    this.part = options.part ?? 'part';
    this.selection = options.selection ?? 'active';
    if (this.selection !== 'active' && this.selection !== 'random')
      throw new LucernaError('BAD_OPTION', `Unknown question selection "${String(this.selection)}"`, 'Use active or random');
    const length = images[0]?.units.value.length ?? 0;
    images.forEach((im, i) => {
      if (this.index.has(im.id)) throw new LucernaError('BAD_OPTION', `Image "${im.id}" appears twice in the QA session`);
      if (im.units.value.length !== length || im.units.x.length !== length || im.units.y.length !== length)
        throw new LucernaError('BAD_OPTION', `Image "${im.id}" has ${im.units.value.length} units, the first image ${length}`);
      this.index.set(im.id, i);
    });
    this.images = images;
    this.random = seededRandom(options.seed ?? 0);
    this.firing = firingRates(images.map((im) => im.units));
    this.fitted = fitPartModel([], this.settings, this.firing);
  }

  /** The current part model (refitted after every answer). */
  get model(): PartModel {
    return this.fitted;
  }

  /** Every answer so far, oldest first (a re-answered image keeps its latest answer only). */
  get records(): readonly QaRecord[] {
    return this.order.filter((r) => this.answers.get(this.index.get(r.image) as number) === r);
  }

  /** Questions answered so far (initial clicks and unprompted answers not counted). */
  get answered(): number {
    return this.questions;
  }

  /** Images not yet answered. */
  get remaining(): number {
    return this.images.length - this.answers.size;
  }

  /**
   * The guess on unit positions of any image (model px), e.g. a held-out image.
   *
   * @example
   * ```ts
   * session.locate(inferNodePositions(graph, peaks)).model; // [x, y], model px
   * ```
   */
  locate(units: UnitPositions): PartGuess {
    return guessPart(this.fitted, units, this.settings.inputSize);
  }

  /**
   * The guess on one of the session's images, image px.
   *
   * @example
   * ```ts
   * session.guess('bird-3.png').guess; // [x, y]
   * ```
   */
  guess(image: string): QaGuess {
    const i = this.find(image);
    const im = this.images[i] as QaImage;
    const g = this.locate(im.units);
    return { image, guess: modelToImage(im, g.model), uncertainty: g.uncertainty, fired: g.fired };
  }

  /**
   * The next question: the unanswered image of largest uncertainty (`active`; ties: the earlier
   * image) or a seeded uniform draw (`random`). The same question until it is answered; null when
   * every image is answered.
   *
   * @example
   * ```ts
   * const q = session.next(); // { image: 'bird-7.png', guess: [41, 13], uncertainty: 0.08, … }
   * ```
   */
  next(): QaQuestion | null {
    if (this.pending) return this.pending;
    const open = this.images.map((_, i) => i).filter((i) => !this.answers.has(i));
    if (open.length === 0) return null;
    let pick = open[0] as number;
    if (this.selection === 'random') pick = open[Math.min(open.length - 1, Math.floor(this.random() * open.length))] as number;
    else {
      let best = -1;
      for (const i of open) {
        const u = this.locate((this.images[i] as QaImage).units).spread;
        if (u > best) {
          best = u;
          pick = i;
        }
      }
    }
    const id = (this.images[pick] as QaImage).id;
    const g = this.guess(id);
    this.pending = { image: id, index: pick, guess: g.guess, uncertainty: g.uncertainty, number: this.questions };
    return this.pending;
  }

  /**
   * Records an answer about `image` and refits the part model. Answering the pending question
   * counts as a question; answering another image (an initial click, or a correction) does not,
   * and drops the pending question (the next {@link next} asks again with the refitted model).
   * `yes` takes the session's current guess on that image as the part's position.
   *
   * @example
   * ```ts
   * session.answer('bird-7.png', { kind: 'here', x: 38, y: 15 }).units.length; // the refitted committee
   * ```
   */
  answer(image: string, answer: QaAnswer): PartModel {
    const i = this.find(image);
    const im = this.images[i] as QaImage;
    const shown = this.pending?.index === i ? this.pending.guess : null;
    let part: Point | null;
    if (answer.kind === 'absent') part = null;
    else if (answer.kind === 'yes') {
      const g = shown ?? this.guess(image).guess;
      part = imageToModel(im, g);
    } else if (answer.kind === 'here') {
      if (!Number.isFinite(answer.x) || !Number.isFinite(answer.y)) throw new LucernaError('BAD_OPTION', `The click on "${image}" is not a finite point`);
      part = imageToModel(im, [answer.x, answer.y]);
    } else throw new LucernaError('BAD_OPTION', `Unknown answer kind "${String((answer as { kind: unknown }).kind)}"`, 'Use yes, here or absent');
    if (shown) this.questions++;
    const record: QaRecord = { image, answer, part, guess: shown };
    this.answers.set(i, record);
    this.order.push(record);
    this.fitted = fitPartModel(
      [...this.answers].map(([k, r]) => ({ units: (this.images[k] as QaImage).units, part: r.part })),
      this.settings,
      this.firing,
    );
    this.pending = null;
    return this.fitted;
  }

  private find(image: string): number {
    const i = this.index.get(image);
    if (i === undefined) throw new LucernaError('BAD_OPTION', `Image "${image}" is not in this QA session`);
    return i;
  }
}
