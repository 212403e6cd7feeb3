/*
 * copy.c
 *	Rows of COPY's text format into fields (copy.h).
 */
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "hex.h"
#include "xalloc.h"

void
copy_row_free(copy_row *c)
{
	strbuf_free(&c->field);
	free(c->off);
	free(c->len);
	free(c->isnull);
	memset(c, 0, sizeof(*c));
}

int
copy_row_parse(copy_row *c, const char *p, size_t n)
{
	size_t i = 0;
	int nf = 0;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	strbuf_reset(&c->field);
	strbuf_grow(&c->field, n + 1);
	for (;;)
	{
		size_t start = i;
		size_t out = c->field.len;

		if (nf == c->cap)
		{
			c->cap = c->cap ? c->cap * 2 : 16;
			c->off = xrealloc(c->off, sizeof(size_t) * (size_t) c->cap);
			c->len = xrealloc(c->len, sizeof(size_t) * (size_t) c->cap);
			c->isnull = xrealloc(c->isnull, sizeof(bool) * (size_t) c->cap);
		}
		while (i < n && p[i] != '\t')
		{
			const char *bs = memchr(p + i, '\\', n - i);
			const char *tab = memchr(p + i, '\t', n - i);
			size_t plain;
			char e;

			/* copy the run up to the next backslash or tab */
			plain = (size_t) ((bs && (!tab || bs < tab) ? bs : tab ? tab : p + n) - (p + i));
			memcpy(c->field.data + c->field.len, p + i, plain);
			c->field.len += plain;
			i += plain;
			if (i >= n || p[i] != '\\')
				continue;
			if (i + 1 >= n)
			{
				c->field.data[c->field.len++] = '\\'; /* a lone trailing backslash */
				i++;
				continue;
			}
			e = p[i + 1];
			i += 2;
			switch (e)
			{
				case 'b':
					c->field.data[c->field.len++] = '\b';
					break;
				case 'f':
					c->field.data[c->field.len++] = '\f';
					break;
				case 'n':
					c->field.data[c->field.len++] = '\n';
					break;
				case 'r':
					c->field.data[c->field.len++] = '\r';
					break;
				case 't':
					c->field.data[c->field.len++] = '\t';
					break;
				case 'v':
					c->field.data[c->field.len++] = '\v';
					break;
				case 'x':
					if (i < n && hex_digit(p[i]) >= 0)
					{
						int v = hex_digit(p[i++]);

						if (i < n && hex_digit(p[i]) >= 0)
							v = v * 16 + hex_digit(p[i++]);
						c->field.data[c->field.len++] = (char) v;
					}
					else
						c->field.data[c->field.len++] = 'x';
					break;
				case '0':
				case '1':
				case '2':
				case '3':
				case '4':
				case '5':
				case '6':
				case '7':
				{
					int v = e - '0';

					for (int k = 0; k < 2 && i < n && p[i] >= '0' && p[i] <= '7'; k++)
						v = v * 8 + (p[i++] - '0');
					c->field.data[c->field.len++] = (char) v;
					break;
				}
				default:
					c->field.data[c->field.len++] = e;
					break;
			}
		}
		c->isnull[nf] = i - start == 2 && p[start] == '\\' && p[start + 1] == 'N';
		c->off[nf] = out;
		c->len[nf] = c->field.len - out;
		nf++;
		if (i >= n)
			break;
		i++; /* the tab */
	}
	c->field.data[c->field.len] = '\0';
	return nf;
}
