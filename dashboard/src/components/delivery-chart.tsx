// The Overview chart: deliveries per minute (bars drawn as one area path) with the hourly success rate as
// a line on its own 0–100 % scale. Plain SVG drawn at the container's measured width (phone or desktop).
import type { DeliverySeries } from "../lib/delivery-series";
import { useWidth } from "../lib/use-width";

const H = 220;
const PAD = { left: 40, right: 44, top: 12, bottom: 26 };
const PLOT_H = H - PAD.top - PAD.bottom;

/** The smallest of 2, 4, 10, 20, 50, 100, 200, 500, … that holds n: each has a whole-number half for the middle line. */
function niceMax(n: number): number {
  if (n <= 2) return 2;
  if (n <= 4) return 4;
  for (let mag = 10; ; mag *= 10) {
    for (const m of [1, 2, 5]) if (m * mag >= n) return m * mag;
  }
}

export function DeliveryChart({ series }: { series: DeliverySeries }) {
  const [ref, W] = useWidth<HTMLElement>(960);
  const PLOT_W = W - PAD.left - PAD.right;
  const points = series.perMinute;
  const first = points[0]?.at ?? 0;
  const span = points.length > 0 ? points[points.length - 1]!.at + 60_000 - first : 1;
  const yMax = niceMax(series.peakPerMinute);
  const x = (at: number) => PAD.left + ((at - first) / span) * PLOT_W;
  const yCount = (n: number) => PAD.top + PLOT_H - (n / yMax) * PLOT_H;
  const yRate = (r: number) => PAD.top + PLOT_H - r * PLOT_H;

  // Each minute is a step so isolated deliveries stay visible as thin bars.
  let area = `M${x(first)},${yCount(0)}`;
  for (const p of points) area += `L${x(p.at)},${yCount(p.total)}L${x(p.at + 60_000)},${yCount(p.total)}`;
  area += `L${x(first + span)},${yCount(0)}Z`;

  const ratePoints = series.perHour.filter((h) => h.rate !== null);
  const rateLine = ratePoints.map((h, i) => `${i === 0 ? "M" : "L"}${x(h.at + 1_800_000)},${yRate(h.rate!)}`).join("");

  // Fewer time labels where they would collide.
  const ticks = (W < 500 ? [0, 12, 24] : [0, 6, 12, 18, 24]).map((h) => first + (h / 24) * span);
  const label = `Deliveries per minute over the last 24 hours: ${series.total} in all, peak ${series.peakPerMinute} per minute.`;

  return (
    <figure className="chart" ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={yRate(f)} y2={yRate(f)} />
            <text className="axis" x={PAD.left - 6} y={yRate(f) + 4} textAnchor="end">
              {Math.round(yMax * f)}
            </text>
            <text className="axis rate-axis" x={W - PAD.right + 6} y={yRate(f) + 4}>
              {Math.round(f * 100)}%
            </text>
          </g>
        ))}
        <path className="area" d={area} />
        {rateLine && <path className="rate-line" d={rateLine} />}
        {ratePoints.map((h) => (
          <circle key={h.at} className="rate-dot" cx={x(h.at + 1_800_000)} cy={yRate(h.rate!)} r={3}>
            <title>{`${new Date(h.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${Math.round(h.rate! * 100)} % of ${h.succeeded + h.failed} finished`}</title>
          </circle>
        ))}
        {ticks.map((t, i) => (
          <text key={t} className="axis" x={x(t)} y={H - 6} textAnchor={i === 0 ? "start" : i === ticks.length - 1 ? "end" : "middle"}>
            {i === ticks.length - 1 ? "now" : new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}
          </text>
        ))}
      </svg>
      <figcaption className="legend">
        <span className="legend-item">
          <span className="key key-area" aria-hidden="true" /> deliveries per minute (left scale)
        </span>
        <span className="legend-item">
          <span className="key key-line" aria-hidden="true" /> success rate per hour (right scale)
        </span>
      </figcaption>
    </figure>
  );
}
