import Box from '@mui/material/Box';
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
} from 'chart.js';
import { useEffect, useRef } from 'react';

// Only what the dashboard draws: registering everything would pull every controller into the bundle.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  DoughnutController,
  ArcElement,
  Tooltip,
  Legend,
);

/**
 * chart.js drawn straight onto a canvas (no React wrapper library). The chart is rebuilt when the
 * configuration object changes, so callers memoise it on their data, and destroyed on unmount so a
 * page switch does not leave resize listeners and animation frames behind.
 */
export function ChartCanvas<T extends ChartType>({
  config,
  label,
  height = 220,
}: {
  config: ChartConfiguration<T>;
  label: string;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const chart = new Chart<T>(el, config);
    return () => chart.destroy();
  }, [config]);
  return (
    <Box sx={{ position: 'relative', height }}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </Box>
  );
}
