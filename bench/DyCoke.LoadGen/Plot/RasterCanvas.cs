// An RGB pixel buffer with the few drawing primitives a line chart needs: filled rectangles and circles, thick solid
// or dashed lines, and text in the embedded bitmap font. Everything clips to the canvas, so callers need not.
namespace DyCoke.LoadGen.Plot;

/// <summary>An 8-bit RGB color.</summary>
internal readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);
}

/// <summary>A width × height RGB image, row-major, 3 bytes per pixel, origin top left.</summary>
internal sealed class RasterCanvas
{
    /// <summary>Creates a canvas filled with <paramref name="background"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A side is not positive or the image exceeds 64 megapixels.</exception>
    public RasterCanvas(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)width * height, 64L << 20, "pixels");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3]; // [H, W, 3]
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The pixels, [H, W, 3] row-major RGB.</summary>
    public byte[] Pixels { get; }

    public Rgb GetPixel(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>Sets one pixel; outside the canvas it is ignored.</summary>
    public void SetPixel(int x, int y, Rgb color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        Pixels[i] = color.R;
        Pixels[i + 1] = color.G;
        Pixels[i + 2] = color.B;
    }

    public void FillRect(int x, int y, int width, int height, Rgb color)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y);
        int x1 = Math.Min(Width, x + width), y1 = Math.Min(Height, y + height);
        for (int row = y0; row < y1; row++)
            for (int col = x0; col < x1; col++)
                SetPixel(col, row, color);
    }

    public void FillCircle(double cx, double cy, double radius, Rgb color)
    {
        for (int y = (int)Math.Floor(cy - radius); y <= (int)Math.Ceiling(cy + radius); y++)
            for (int x = (int)Math.Floor(cx - radius); x <= (int)Math.Ceiling(cx + radius); x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) SetPixel(x, y, color);
    }

    /// <summary>A line <paramref name="thickness"/> pixels wide; with <paramref name="dash"/> &gt; 0 it is drawn
    /// as dashes of that length separated by gaps of about half of it.</summary>
    public void DrawLine(double x0, double y0, double x1, double y1, Rgb color, int thickness = 1, int dash = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(thickness, 1);
        double length = Math.Sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0));
        // Stepping half a pixel along the line leaves no holes at any slope; a square brush gives the width.
        int steps = Math.Max(1, (int)Math.Ceiling(length * 2));
        int period = dash + Math.Max(2, dash / 2);
        for (int i = 0; i <= steps; i++)
        {
            double t = (double)i / steps;
            if (dash > 0 && (t * length) % period >= dash) continue;
            double x = x0 + (x1 - x0) * t, y = y0 + (y1 - y0) * t;
            int left = (int)Math.Round(x - (thickness - 1) / 2.0), top = (int)Math.Round(y - (thickness - 1) / 2.0);
            FillRect(left, top, thickness, thickness, color);
        }
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y), each font pixel
    /// <paramref name="scale"/> × <paramref name="scale"/>.</summary>
    public void DrawText(int x, int y, string text, Rgb color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (char c in text)
        {
            var rows = BitmapFont.Glyph(c);
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                    if ((rows[row] >> (BitmapFont.GlyphWidth - 1 - col) & 1) != 0)
                        FillRect(x + col * scale, y + row * scale, scale, scale, color);
            x += BitmapFont.Advance * scale;
        }
    }

    /// <summary>Draws <paramref name="text"/> turned a quarter left (reading bottom to top), its bottom-left corner
    /// (in reading direction) at (x, y): the text occupies x .. x+height and y−width .. y.</summary>
    public void DrawTextUp(int x, int y, string text, Rgb color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (char c in text)
        {
            var rows = BitmapFont.Glyph(c);
            for (int row = 0; row < BitmapFont.GlyphHeight; row++)
                for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                    if ((rows[row] >> (BitmapFont.GlyphWidth - 1 - col) & 1) != 0)
                        FillRect(x + row * scale, y - (col + 1) * scale, scale, scale, color);
            y -= BitmapFont.Advance * scale;
        }
    }

    /// <summary>Pixel width of <paramref name="text"/> at <paramref name="scale"/> (no trailing spacing).</summary>
    public static int TextWidth(string text, int scale) => text.Length == 0 ? 0 : (text.Length * BitmapFont.Advance - 1) * scale;
}
