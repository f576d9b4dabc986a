/**
 * Device time of a training run that does not depend on machine load.
 *
 * - On CPU backends (wasm, cpu, tensorflow without a GPU, webgpu on a
 *   software adapter) a run is charged the CPU time its process used: user +
 *   system, summed over every thread (`process.cpuUsage()` reads
 *   `getrusage(RUSAGE_SELF)`, which covers the wasm worker threads and the
 *   TensorFlow thread pool). Waiting for a busy core costs wall-clock, not
 *   CPU time, so these are CPU-thread-hours.
 * - On GPUs a run is charged wall-clock x accelerators (GPU-hours): the GPU
 *   is held for the whole wall-clock whatever it does.
 *
 * Evaluation (validation loss, task scoring, symmetry hooks) is timed apart:
 * `deviceHours` is training only, `evalDeviceHours` the evaluation's share,
 * so the device-hours axis counts what the other cost axes count (training).
 * Wall-clock (`wallSeconds`) and CPU time (`cpuSeconds`) are totals.
 *
 * @module
 */
import process from "node:process";
import type { DeviceInfo } from "../backend.ts";

/** How a run's device-hours were measured. */
export type DeviceHoursBasis = "cpu-time" | "wall-x-accelerators";

/** The time fields of a TrainingCost this module maintains (cumulative, resume-safe). */
export interface DeviceTime {
  /** Wall-clock of the run (training + evaluation + checkpoints), seconds. */
  wallSeconds: number;
  /** CPU time of the process, all threads, user + system, seconds. */
  cpuSeconds: number;
  /** Wall-clock spent evaluating, seconds. */
  evalWallSeconds: number;
  /** CPU time spent evaluating, seconds. */
  evalCpuSeconds: number;
  /** Training device-hours (evaluation excluded). */
  deviceHours: number;
  /** Evaluation device-hours. */
  evalDeviceHours: number;
}

/**
 * CPU seconds (user + system, all threads) this process has used so far.
 *
 * @example
 * ```ts
 * import { processCpuSeconds } from "./device_time.ts";
 * const t0 = processCpuSeconds();
 * ```
 */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The basis of a device's device-hours: GPU wall-clock or CPU time.
 *
 * @example
 * ```ts
 * import { deviceHoursBasis } from "./device_time.ts";
 * deviceHoursBasis({ backend: "wasm", label: "", accelerators: 1, isGpu: false }); // "cpu-time"
 * ```
 */
export function deviceHoursBasis(device: DeviceInfo): DeviceHoursBasis {
  return device.isGpu ? "wall-x-accelerators" : "cpu-time";
}

/**
 * Device-hours from wall-clock and CPU seconds under a basis.
 *
 * @example
 * ```ts
 * import { deviceHoursOf } from "./device_time.ts";
 * deviceHoursOf("cpu-time", { wall: 10, cpu: 7200, accelerators: 1 }); // 2
 * deviceHoursOf("wall-x-accelerators", { wall: 3600, cpu: 10, accelerators: 8 }); // 8
 * ```
 */
export function deviceHoursOf(
  basis: DeviceHoursBasis,
  t: { wall: number; cpu: number; accelerators: number },
): number {
  return basis === "cpu-time" ? t.cpu / 3600 : (t.wall * t.accelerators) / 3600;
}

/**
 * Clock of one training session: continues the cumulative times a
 * checkpoint carried (`base`) and adds this session's wall-clock and CPU
 * time, with evaluation bracketed by {@link RunClock.startEval} /
 * {@link RunClock.endEval}.
 *
 * @example
 * ```ts
 * import { RunClock } from "./device_time.ts";
 * const cost = { wallSeconds: 0, cpuSeconds: 0, evalWallSeconds: 0, evalCpuSeconds: 0, deviceHours: 0, evalDeviceHours: 0 };
 * const clock = new RunClock(cost, { backend: "wasm", label: "", accelerators: 1, isGpu: false });
 * clock.startEval();
 * clock.endEval();
 * clock.sync(cost); // cost.cpuSeconds >= cost.evalCpuSeconds >= 0
 * ```
 */
export class RunClock {
  readonly basis: DeviceHoursBasis;
  #base: { wall: number; cpu: number; evalWall: number; evalCpu: number };
  #wall0 = performance.now();
  #cpu0 = processCpuSeconds();
  #evalWall = 0;
  #evalCpu = 0;
  #evalStart: { wall: number; cpu: number } | null = null;

  constructor(base: Partial<DeviceTime>, readonly device: DeviceInfo) {
    this.basis = deviceHoursBasis(device);
    // Checkpoints written before CPU time was recorded carry no cpu fields: start them at 0.
    this.#base = {
      wall: base.wallSeconds ?? 0,
      cpu: base.cpuSeconds ?? 0,
      evalWall: base.evalWallSeconds ?? 0,
      evalCpu: base.evalCpuSeconds ?? 0,
    };
  }

  /** Marks the start of an evaluation. */
  startEval(): void {
    this.#evalStart = { wall: performance.now(), cpu: processCpuSeconds() };
  }

  /** Marks the end of the evaluation started last. */
  endEval(): void {
    if (!this.#evalStart) return;
    this.#evalWall += (performance.now() - this.#evalStart.wall) / 1000;
    this.#evalCpu += processCpuSeconds() - this.#evalStart.cpu;
    this.#evalStart = null;
  }

  /** Writes the cumulative times and device-hours into `cost`. */
  sync(cost: DeviceTime): void {
    const wall = this.#base.wall + (performance.now() - this.#wall0) / 1000;
    const cpu = this.#base.cpu + (processCpuSeconds() - this.#cpu0);
    const evalWall = this.#base.evalWall + this.#evalWall;
    const evalCpu = this.#base.evalCpu + this.#evalCpu;
    const acc = this.device.accelerators;
    cost.wallSeconds = wall;
    cost.cpuSeconds = cpu;
    cost.evalWallSeconds = evalWall;
    cost.evalCpuSeconds = evalCpu;
    cost.deviceHours = deviceHoursOf(this.basis, {
      wall: wall - evalWall,
      cpu: cpu - evalCpu,
      accelerators: acc,
    });
    cost.evalDeviceHours = deviceHoursOf(this.basis, {
      wall: evalWall,
      cpu: evalCpu,
      accelerators: acc,
    });
  }
}
