package org.policyrouter.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;

import org.w3c.dom.Document;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/** James's XML configuration files, read as configuration: no DTD, no external entity fetched. */
public final class XmlFiles {
    private XmlFiles() {
    }

    /** @throws IOException when the file cannot be read or is not XML, naming the file */
    public static Document read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return factory.newDocumentBuilder().parse(in);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The same file as events, for a reader that needs line numbers (a DOM has none).
     *
     * @throws IOException when the file cannot be read or is not XML, naming the file
     */
    public static void read(Path file, DefaultHandler handler) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            SAXParserFactory factory = SAXParserFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            InputSource source = new InputSource(in);
            source.setSystemId(file.toUri().toString());
            factory.newSAXParser().parse(source, handler);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
