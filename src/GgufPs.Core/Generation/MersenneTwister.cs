namespace GgufPs.Generation;

/// <summary>
/// std::mt19937 (32-bit Mersenne Twister, seeded by its standard initialisation) with libstdc++'s
/// std::generate_canonical, which std::uniform_real_distribution(0, 1) calls: llama.cpp's samplers draw from these.
/// </summary>
internal sealed class MersenneTwister
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908B0DF;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7FFFFFFF;

    private readonly uint[] _state = new uint[N];
    private int _index;

    public MersenneTwister(uint seed)
    {
        Seed(seed);
    }

    public void Seed(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < N; i++)
        {
            uint previous = _state[i - 1];
            _state[i] = unchecked(1812433253u * (previous ^ (previous >> 30)) + (uint)i);
        }
        _index = N;
    }

    /// <summary>The next 32-bit output, tempered.</summary>
    public uint Next()
    {
        if (_index >= N)
        {
            Twist();
        }
        uint y = _state[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary>
    /// uniform_real_distribution&lt;double&gt;(0, 1): generate_canonical&lt;double, 53&gt; takes two draws,
    /// (first + second·2³²)·2⁻⁶⁴, and clamps a result of 1 to the largest double below it.
    /// </summary>
    public double NextDouble()
    {
        double low = (double)Next() + 0.0;
        double sum = (double)Next() * 4294967296.0 + low;
        double result = sum * (1.0 / 18446744073709551616.0);
        return result >= 1.0 ? Math.BitDecrement(1.0) : result;
    }

    /// <summary>uniform_real_distribution&lt;float&gt;(0, 1): one draw times 2⁻³² in float, clamped below 1.</summary>
    public float NextSingle()
    {
        float result = ((float)Next() + 0f) * (1f / 4294967296f);
        return result >= 1f ? MathF.BitDecrement(1f) : result;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_state[i] & UpperMask) | (_state[(i + 1) % N] & LowerMask);
            _state[i] = _state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0u);
        }
        _index = 0;
    }
}
